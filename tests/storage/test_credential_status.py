"""The credential-status contract (eid.storage.credential_status), on SQLite and PostgreSQL:
an index per issued credential, revoked once the citizen withdraws the portal's access."""

from __future__ import annotations

import threading

from eid.storage import DurableStore, Grant

from .conftest import DurableBackend

CITIZEN = "074190000001"


def _grant(grant_id: str, client_id: str = "portal") -> Grant:
    return Grant(grant_id, CITIZEN, client_id, frozenset({"openid"}), {}, None, 100.0, 1e12)


def test_indexes_are_allocated_in_order_and_start_out_valid(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    assert store.credential_statuses() == (0, [])
    first = store.add_credential_status(CITIZEN, "portal", "g1")
    second = store.add_credential_status(CITIZEN, "portal", "g1")
    assert first is not None and second is not None and second > first >= 1
    assert store.credential_statuses() == (second + 1, [])


def test_withdrawing_access_revokes_that_portals_credentials_only(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    store.save_grant(_grant("g2", client_id="other"))
    mine = store.add_credential_status(CITIZEN, "portal", "g1")
    theirs = store.add_credential_status(CITIZEN, "other", "g2")
    store.revoke_access(CITIZEN, "portal", 200.0)
    size, revoked = store.credential_statuses()
    assert revoked == [mine] and theirs not in revoked and size > max(mine or 0, theirs or 0)


def test_a_credential_issued_after_a_new_consent_is_valid(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    old = store.add_credential_status(CITIZEN, "portal", "g1")
    store.revoke_access(CITIZEN, "portal", 200.0)
    store.save_grant(_grant("g2"))  # consented again: a new grant
    new = store.add_credential_status(CITIZEN, "portal", "g2")
    assert store.credential_statuses()[1] == [old]
    assert new is not None and new != old


def test_no_index_is_allocated_under_a_revoked_grant(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    store.revoke_grant("g1", 150.0)
    assert store.add_credential_status(CITIZEN, "portal", "g1") is None
    assert store.add_credential_status(CITIZEN, "portal", "unknown") is None
    assert store.credential_statuses() == (0, [])


def test_statuses_are_shared_across_connections(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.save_grant(_grant("g1"))
    idx = store.add_credential_status(CITIZEN, "portal", "g1")
    other = durable_backend.open()
    other.revoke_access(CITIZEN, "portal", 200.0)
    assert store.credential_statuses()[1] == [idx]


def test_no_credential_allocated_concurrently_with_a_revocation_stays_valid(
        store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    barrier = threading.Barrier(9)
    allocated: list[int] = []

    def issue() -> None:
        barrier.wait(timeout=10)
        idx = store.add_credential_status(CITIZEN, "portal", "g1")
        if idx is not None:
            allocated.append(idx)

    def revoke() -> None:
        barrier.wait(timeout=10)
        store.revoke_access(CITIZEN, "portal", 150.0)

    threads = [threading.Thread(target=issue) for _ in range(8)]
    threads.append(threading.Thread(target=revoke))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(allocated) == store.credential_statuses()[1]
