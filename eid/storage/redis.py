"""The Redis short-lived store, chosen by ``EID_REDIS_URL``.

Shared by every process of the service and kept across restarts. Values are
JSON; keys carry a prefix so one Redis can serve several deployments.
``consume`` uses ``GETDEL`` (Redis ≥ 6.2) so a code can be redeemed once even
under concurrent requests.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from eid.errors import StorageError
from eid.storage.ephemeral import Value, check_limit, check_ttl

__all__ = ["RedisStore"]

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

# Give slots back; an empty window ends rather than going below zero.
_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1]))
if not n then return 0 end
if n <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return 0 end
return redis.call('DECRBY', KEYS[1], ARGV[1])
"""


class RedisStore:
    """Short-lived state in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = "eid:") -> None:
        self._r = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR)
        self._reserve = client.register_script(_RESERVE)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "eid:") -> RedisStore:
        """Connect lazily to ``url`` with short timeouts (a hung Redis must not hang logins)."""
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return cls(client, prefix=prefix)

    def _k(self, key: str) -> str:
        return self._prefix + key

    def _call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except redis.RedisError as exc:
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
        self._call(self._r.set, self._k(key), json.dumps(value), px=max(1, int(ttl * 1000)))

    def add(self, key: str, value: Value, ttl: float) -> bool:
        check_ttl(ttl)
        done = self._call(self._r.set, self._k(key), json.dumps(value),
                          px=max(1, int(ttl * 1000)), nx=True)
        return bool(done)

    def get(self, key: str) -> Value | None:
        return self._load(self._call(self._r.get, self._k(key)))

    def consume(self, key: str) -> Value | None:
        return self._load(self._call(self._r.getdel, self._k(key)))

    def delete(self, key: str) -> None:
        self._call(self._r.delete, self._k(key))

    def incr(self, key: str, ttl: float) -> int:
        check_ttl(ttl)
        return int(self._call(self._incr, keys=[self._k(key)],
                              args=[max(1, int(ttl * 1000))]))

    def reserve(self, key: str, limit: int, ttl: float) -> int | None:
        check_limit(limit)
        check_ttl(ttl)
        slot = int(self._call(self._reserve, keys=[self._k(key)],
                              args=[limit, max(1, int(ttl * 1000))]))
        return slot or None

    def release(self, key: str, count: int) -> None:
        check_limit(count)
        self._call(self._release, keys=[self._k(key)], args=[count])

    def ttl(self, key: str) -> float | None:
        ms = self._call(self._r.pttl, self._k(key))
        return None if ms is None or ms < 0 else ms / 1000

    def clear(self) -> None:
        cursor = 0
        while True:
            cursor, keys = self._call(self._r.scan, cursor, match=self._prefix + "*", count=500)
            if keys:
                self._call(self._r.delete, *keys)
            if cursor == 0:
                return
