"""The Redis short-lived store, chosen by ``EID_REDIS_URL``: one server, Sentinel or Cluster.

Shared by every process of the service and kept across restarts. Values are
JSON; keys carry a prefix so one Redis can serve several deployments, and a
hash tag (:mod:`eid.storage.keys`) so a Redis Cluster keeps related keys on one
shard. Every operation names one key, so nothing ever crosses slots.
``consume`` uses ``GETDEL`` (Redis ≥ 6.2) so a code can be redeemed once even
under concurrent requests.

Commands are sent as they are (``execute_command("SET", key, value, "PX", ms)``), not
through redis-py's per-command methods: redis-py 8's ``set`` and ``get`` check deprecated,
experimental and hash-import arguments on every call, 2% of a plain login flow on Redis
(bench.instructions, 6.255 -> 6.133 M); the reply is parsed as the method would.

Failures are bounded: 2 s to connect, 2 s per reply, one quick retry of a refused
or dropped connection (which rides over a restart or a Sentinel failover), then
``StorageError(storage_unavailable)``; never a hang.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry
from redis.sentinel import Sentinel

from eid.errors import StorageError
from eid.storage.ephemeral import Value, check_limit, check_ttl
from eid.storage.keys import check_prefix
from eid.storage.redis_url import RedisTarget, parse_redis_url

__all__ = ["RedisStore", "redis_client"]

_TIMEOUTS: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 2}


def _retry() -> Retry:
    # One quick retry of a refused or dropped connection: what a restart or a failover
    # looks like, and the retry asks a Sentinel for the master again. redis-py's default
    # retries a failed connect ten times, up to 1 s apart (an unreachable Sentinel took
    # 7 s; a host that drops packets, 2 s each time). A timeout is not retried: a server
    # that does not answer in 2 s will not in 4.
    return Retry(ExponentialBackoff(cap=0.2, base=0.05), 1,
                 supported_errors=(redis.ConnectionError,))


def redis_client(target: RedisTarget) -> redis.Redis | RedisCluster:
    """A client for ``target`` with short timeouts, connecting on first use.

    :raises RedisClusterException: (cluster) no node given answers; the store wraps it.
    """
    common: dict[str, Any] = {**_TIMEOUTS, "retry": _retry()}
    if target.kind == "single":
        return redis.Redis.from_url(target.url, **common)
    auth: dict[str, Any] = {"username": target.username, "password": target.password}
    tls: dict[str, Any] = {"ssl": True, "ssl_ca_certs": target.ssl_ca_certs} if target.tls \
        else {}
    if target.kind == "sentinel":
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(target.nodes),
            # The master's connection retries (and asks the Sentinels again): a retry
            # inside each Sentinel query too would multiply the tries.
            sentinel_kwargs={**_TIMEOUTS, "retry": Retry(NoBackoff(), 0), **tls,
                             "username": target.sentinel_username,
                             "password": target.sentinel_password},
            **common, **tls)
        master: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
            target.service, db=target.db, **common, **auth, **tls)
        return master
    nodes = [ClusterNode(h, p) for h, p in target.nodes]  # type: ignore[no-untyped-call]
    return RedisCluster(startup_nodes=nodes, **common, **auth, **tls)


# INCR, and set the expiry only when the counter is new, in one atomic step.
_INCR = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""

# Take a slot only while fewer than ARGV[1] are taken; the window's expiry is set with
# its first slot and never moved (a refused attempt must not extend the lockout).
_RESERVE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
"""

# GETDEL the first key; when it was there, SET the second (with its expiry), else read
# it: a single-use code and its redeemed mark in one atomic step.
_CONSUME_MARKING = """
local v = redis.call('GETDEL', KEYS[1])
if v then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {v, false}
end
return {false, redis.call('GET', KEYS[2])}
"""

# Give slots back; an empty window ends rather than going below zero.
_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1]))
if not n then return 0 end
if n <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECRBY', KEYS[1], ARGV[1])
"""


class RedisStore:
    """Short-lived state in Redis."""

    def __init__(self, client: redis.Redis | RedisCluster | RedisTarget, *,
                 prefix: str = "eid:") -> None:
        """``client``: a connected client, or a target to connect to on first use.

        :raises ConfigurationError: ``invalid_prefix`` for a prefix holding braces.
        """
        self._prefix = check_prefix(prefix)
        self._lock = threading.Lock()
        self._target: RedisTarget | None = None
        self._client: redis.Redis | RedisCluster | None = None
        if isinstance(client, RedisTarget):
            self._target = client
        else:
            self._client = client
        self._scripts: dict[str, Any] = {}

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "eid:") -> RedisStore:
        """A store on what ``url`` names (:mod:`eid.storage.redis_url`); connects on first use.

        :raises ConfigurationError: ``invalid_url`` or ``invalid_prefix``.
        """
        return cls(parse_redis_url(url), prefix=prefix)

    @property
    def client(self) -> redis.Redis | RedisCluster:
        """The redis-py client (built on first use: a cluster client connects when built).

        :raises StorageError: ``storage_unavailable`` when no cluster node answers.
        """
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None and self._target is not None:
                    client = self._client = self._call(redis_client, self._target)
        if client is None:
            raise StorageError("no Redis client", code="storage_unavailable")
        return client

    def _script(self, source: str) -> Any:
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self.client.register_script(source)
        return script

    def _k(self, key: str) -> str:
        return self._prefix + key

    @staticmethod
    def _call(fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except (redis.RedisError, RedisClusterException) as exc:
            raise StorageError(f"Redis failed: {exc}", code="storage_unavailable") from exc

    @staticmethod
    def _load(raw: bytes | None) -> Value | None:
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise StorageError("corrupt entry in Redis", code="corrupt_record") from exc
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: Value, ttl: float) -> None:
        check_ttl(ttl)
        self._call(self.client.execute_command, "SET", self._k(key), json.dumps(value),
                   "PX", max(1, int(ttl * 1000)))

    def write_many(self, puts: Mapping[str, tuple[Value, float]],
                   deletes: Iterable[str] = ()) -> None:
        for _, ttl in puts.values():
            check_ttl(ttl)
        # A pipeline without MULTI: one round trip per node, and a cluster may take keys
        # of several slots in it (a transaction could not).
        pipe = self.client.pipeline(transaction=False)
        for key in deletes:
            pipe.execute_command("DEL", self._k(key))
        for key, (value, ttl) in puts.items():
            pipe.execute_command("SET", self._k(key), json.dumps(value),
                                 "PX", max(1, int(ttl * 1000)))
        self._call(pipe.execute)

    def add(self, key: str, value: Value, ttl: float) -> bool:
        check_ttl(ttl)
        done = self._call(self.client.execute_command, "SET", self._k(key), json.dumps(value),
                          "PX", max(1, int(ttl * 1000)), "NX")
        return bool(done)

    def get(self, key: str) -> Value | None:
        return self._load(self._call(self.client.execute_command, "GET", self._k(key)))

    def consume(self, key: str) -> Value | None:
        return self._load(self._call(self.client.execute_command, "GETDEL", self._k(key)))

    def consume_marking(self, key: str, mark: str, value: Value, ttl: float
                        ) -> tuple[Value | None, Value | None]:
        check_ttl(ttl)
        consumed, marked = self._call(
            self._script(_CONSUME_MARKING), keys=[self._k(key), self._k(mark)],
            args=[json.dumps(value), max(1, int(ttl * 1000))])
        # Lua's false comes back as None (RESP2 nil, RESP3 false: both falsy here).
        return self._load(consumed or None), self._load(marked or None)

    def delete(self, key: str) -> None:
        self._call(self.client.execute_command, "DEL", self._k(key))

    def incr(self, key: str, ttl: float) -> int:
        check_ttl(ttl)
        return int(self._call(self._script(_INCR), keys=[self._k(key)],
                              args=[max(1, int(ttl * 1000))]))

    def reserve(self, key: str, limit: int, ttl: float) -> int | None:
        check_limit(limit)
        check_ttl(ttl)
        slot = int(self._call(self._script(_RESERVE), keys=[self._k(key)],
                              args=[limit, max(1, int(ttl * 1000))]))
        return slot or None

    def release(self, key: str, count: int) -> None:
        check_limit(count)
        self._call(self._script(_RELEASE), keys=[self._k(key)], args=[count])

    def ttl(self, key: str) -> float | None:
        ms = self._call(self.client.execute_command, "PTTL", self._k(key))
        return None if ms is None or ms < 0 else ms / 1000

    def clear(self) -> None:
        """Delete every key of this prefix: on a cluster, on every primary."""
        batch: list[bytes] = []
        for key in self._call(lambda: list(self._scan())):
            batch.append(key)
            if len(batch) == 500:
                self._call(self.client.delete, *batch)
                batch = []
        if batch:
            # A cluster client splits a DEL by slot (a multi-key DEL must not cross slots).
            self._call(self.client.delete, *batch)

    def _scan(self) -> Iterator[bytes]:
        match = self._prefix + "*"
        client = self.client
        if isinstance(client, RedisCluster):
            for node in client.get_primaries():  # type: ignore[no-untyped-call]
                yield from client.scan_iter(match=match, count=500, target_nodes=node)
        else:
            yield from client.scan_iter(match=match, count=500)
