"""What only the PostgreSQL durable store has to survive: a server restart, several
instances on one database, concurrent first starts, a missing driver."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from eid.errors import ConfigurationError, StorageError
from eid.storage import Consent, PostgresDurableStore, durable_store_from_url
from eid.storage.postgres_pool import PoolSettings
from tests.servers import PostgresServer, free_port

from .conftest import race

CITIZEN = "074190000001"
# Short waits: a request during an outage must fail fast, not queue for seconds.
FAST = PoolSettings(timeout=1.0, connect_timeout=1.0)


def _consent(client_id: str = "portal") -> Consent:
    return Consent(CITIZEN, client_id, frozenset({"openid"}), 1.0)


def _until_it_works(store: PostgresDurableStore, bound: float = 30.0) -> Consent | None:
    deadline = time.monotonic() + bound
    while True:
        try:
            return store.consent(CITIZEN, "portal")
        except StorageError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_store_survives_a_server_restart(postgres: PostgresServer, postgres_url: str) -> None:
    store = PostgresDurableStore(postgres_url, FAST)
    try:
        store.save_consent(_consent())
        postgres.stop()
        try:
            with pytest.raises(StorageError) as err:
                store.consent(CITIZEN, "portal")
            assert err.value.code == "storage_unavailable"
            with pytest.raises(StorageError) as err:
                store.save_consent(_consent("other"))
            assert err.value.code == "storage_unavailable"
        finally:
            postgres.start()
        # The same store object: the pool replaced the connections the restart cut.
        assert _until_it_works(store) == _consent()
        assert store.consent(CITIZEN, "other") is None  # the write during the outage failed
    finally:
        store.close()


def test_connections_cut_while_idle_are_replaced(postgres: PostgresServer,
                                                 postgres_url: str) -> None:
    store = PostgresDurableStore(postgres_url, FAST)
    try:
        store.save_consent(_consent())
        postgres.restart()  # every pooled connection is now broken
        assert store.consent(CITIZEN, "portal") == _consent()  # checked, replaced: no error
    finally:
        store.close()


def test_two_instances_on_one_database_see_each_other(postgres_url: str) -> None:
    first, second = PostgresDurableStore(postgres_url), PostgresDurableStore(postgres_url)
    try:
        first.save_consent(_consent())
        assert second.consent(CITIZEN, "portal") == _consent()
        assert second.instance_secret("pairwise") == first.instance_secret("pairwise")
        second.revoke_access(CITIZEN, "portal", 5.0)
        assert first.consent(CITIZEN, "portal") is None
        assert first.revocation_epoch(CITIZEN, "portal") == 1
    finally:
        first.close()
        second.close()


def test_instances_starting_at_once_on_an_empty_database_all_start(postgres_url: str) -> None:
    stores, failures = race(lambda: PostgresDurableStore(postgres_url), 4)
    for store in stores:
        store.close()
    assert failures == [] and len(stores) == 4


def test_no_server_is_storage_unavailable() -> None:
    with pytest.raises(StorageError) as err:
        PostgresDurableStore(f"postgresql://eid@127.0.0.1:{free_port()}/eid", FAST)
    assert err.value.code == "storage_unavailable"


def test_another_schema_version_is_refused(postgres_url: str) -> None:
    PostgresDurableStore(postgres_url).close()
    import psycopg

    with psycopg.connect(postgres_url) as db:
        db.execute("UPDATE durable_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StorageError) as err:
        PostgresDurableStore(postgres_url)
    assert err.value.code == "schema_mismatch"


@pytest.mark.parametrize("url", ["sqlite:///eid.sqlite", "mysql://db/eid", "instance/eid"])
def test_a_database_url_must_be_postgresql(url: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        durable_store_from_url(url)
    assert err.value.code == "invalid_url"


def test_a_password_in_the_url_is_never_echoed() -> None:
    with pytest.raises(ConfigurationError) as err:
        durable_store_from_url("mysql://eid:s3cret@db/eid")
    assert "s3cret" not in str(err.value)


def test_without_the_postgres_extra_the_error_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    with pytest.raises(ConfigurationError) as err:
        durable_store_from_url("postgresql://eid@127.0.0.1/eid")
    assert err.value.code == "missing_dependency"
    assert "eid[postgres]" in str(err.value)


def test_no_grant_saved_during_a_revocation_outlives_it_over_many_races(
        postgres_url: str) -> None:
    # The contract test runs the race once; over a pool of real connections the window is
    # narrow, so race many times (each round its own citizen) to make a gap show.
    from eid.storage import Grant

    store = PostgresDurableStore(postgres_url, PoolSettings(max_size=10))
    needs = frozenset({"openid"})
    try:
        for n in range(30):
            citizen = f"0741900{n:05d}"
            store.save_consent(Consent(citizen, "portal", needs, 1.0))
            barrier = threading.Barrier(9)

            def redeem(i: int, citizen: str = citizen, barrier: threading.Barrier = barrier
                       ) -> None:
                barrier.wait(timeout=10)
                store.save_grant_if_consented(
                    Grant(f"g{citizen}-{i}", citizen, "portal", needs, {}, None, 100.0, 9e9),
                    needs, 0)

            def revoke(citizen: str = citizen, barrier: threading.Barrier = barrier) -> None:
                barrier.wait(timeout=10)
                store.revoke_access(citizen, "portal", 150.0)

            threads = [threading.Thread(target=redeem, args=(i,)) for i in range(8)]
            threads.append(threading.Thread(target=revoke))
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=10)
            assert store.live_grants(citizen, 200.0) == [], f"round {n}"
    finally:
        store.close()
