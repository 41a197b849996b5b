"""A Sentinel failover under a live store: the master dies, the Sentinel promotes its
replica, and the store finds the new master by itself; meanwhile every operation fails
fast with ``storage_unavailable`` (never a hang, never a traceback)."""

from __future__ import annotations

import time

import pytest
import redis

from eid.errors import StorageError
from eid.storage import ephemeral_store_from_url
from tests.servers import redis_sentinel

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
