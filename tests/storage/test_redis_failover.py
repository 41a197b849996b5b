"""Failovers under a live store: a Sentinel-watched master dies and the Sentinel promotes
its replica; a Redis Cluster primary dies and its replica takes its slots. The store finds
the new primary by itself; meanwhile what needs the lost server fails fast with
``storage_unavailable`` (never a hang, never a traceback)."""

from __future__ import annotations

import time

import pytest
import redis
from redis.cluster import RedisCluster

from eid.errors import StorageError
from eid.storage import ephemeral_store_from_url, tagged
from tests.servers import redis_cluster, redis_sentinel

VALUE = {"client_id": "portal", "n": 1}


def test_sentinel_failover_promotes_the_replica_and_the_store_follows() -> None:
    with redis_sentinel() as servers:
        store = ephemeral_store_from_url(servers.url, prefix="test:")
        store.put("{flow}:code", VALUE, 300)
        master = redis.Redis(port=servers.master_port)
        assert master.wait(1, 5000) == 1  # the replica has the entry before the master dies
        master.close()
        servers.master.kill()
        servers.master.wait(timeout=10)
        codes: list[str] = []
        deadline = time.monotonic() + 60  # bounds the test, not a figure it checks
        while True:
            try:
                value = store.get("{flow}:code")
                break
            except StorageError as err:
                codes.append(err.code)
            if time.monotonic() > deadline:
                pytest.fail(f"no failover: {len(codes)} failures")
            time.sleep(0.1)
        assert codes and set(codes) == {"storage_unavailable"}
        assert value == VALUE  # the promoted replica had it
        sentinel = redis.Redis(port=servers.sentinel_port, decode_responses=True)
        promoted = sentinel.sentinel_get_master_addr_by_name("eidtest")  # type: ignore[no-untyped-call]
        assert promoted == ("127.0.0.1", servers.replica_port)
        sentinel.close()
        assert store.consume("{flow}:code") == VALUE  # and it takes writes
        assert store.add("{flow}:code", VALUE, 60) is True


def test_cluster_failover_stops_only_the_failed_shard_and_the_store_follows() -> None:
    with redis_cluster(replicas=1) as cluster:
        store = ephemeral_store_from_url(cluster.url, prefix="test:")
        client: RedisCluster = store.client  # type: ignore[attr-defined]
        keys = [tagged(str(n), "code") for n in range(30)]  # thirty flows over three shards
        for key in keys:
            store.put(key, {"key": key}, 300)
        port = client.get_node_from_key("test:" + keys[0]).port
        lost = [k for k in keys if client.get_node_from_key("test:" + k).port == port]
        kept = [k for k in keys if k not in lost]
        primary = redis.Redis(port=port)
        assert primary.wait(1, 5000) == 1  # its replica has the entries
        primary.close()
        cluster.nodes[port].kill()
        cluster.nodes[port].wait(timeout=10)
        codes: list[str] = []
        others_failed: list[str] = []
        deadline = time.monotonic() + 60  # bounds the test, not a figure it checks
        while True:
            try:
                if store.get(lost[0]) is not None:
                    break
            except StorageError as err:
                codes.append(err.code)
            for key in kept[:3]:  # flows on the other shards go on meanwhile
                try:
                    store.get(key)
                except StorageError as err:
                    others_failed.append(err.code)
            if time.monotonic() > deadline:
                pytest.fail(f"no failover: {len(codes)} failures")
            time.sleep(0.1)
        assert codes and set(codes) == {"storage_unavailable"}
        assert others_failed == []
        assert all(store.get(k) == {"key": k} for k in keys)  # the replica had them all
        assert store.consume(lost[0]) == {"key": lost[0]}
