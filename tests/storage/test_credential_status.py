"""The credential-status contract (eid.storage.credential_status), on SQLite and PostgreSQL:
an index per issued credential, revoked once the citizen withdraws the portal's access,
removed once the credential has expired."""

from __future__ import annotations

import threading

from eid.storage import DurableStore, Grant
from eid.storage.credential_status import SWEEP_BATCH, SWEEP_GRACE

from .conftest import DurableBackend, race

CITIZEN = "074190000001"


def _grant(grant_id: str, client_id: str = "portal") -> Grant:
    return Grant(grant_id, CITIZEN, client_id, frozenset({"openid"}), {}, None, 100.0, 1e12)


#: The credentials' exp, and the time they are issued at, unless a test says otherwise.
EXP, NOW = 2e9, 1e9


def _add(store: DurableStore, subject: str, client_id: str, grant_id: str, *,
         expires_at: float = EXP, now: float = NOW) -> int | None:
    return store.add_credential_status(subject, client_id, grant_id,
                                       expires_at=expires_at, now=now)


def test_indexes_are_allocated_in_order_and_start_out_valid(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    assert store.credential_statuses() == (0, [])
    first = _add(store, CITIZEN, "portal", "g1")
    second = _add(store, CITIZEN, "portal", "g1")
    assert first is not None and second is not None and second > first >= 1
    assert store.credential_statuses() == (second + 1, [])


def test_withdrawing_access_revokes_that_portals_credentials_only(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    store.save_grant(_grant("g2", client_id="other"))
    mine = _add(store, CITIZEN, "portal", "g1")
    theirs = _add(store, CITIZEN, "other", "g2")
    store.revoke_access(CITIZEN, "portal", 200.0)
    size, revoked = store.credential_statuses()
    assert revoked == [mine] and theirs not in revoked and size > max(mine or 0, theirs or 0)


def test_a_credential_issued_after_a_new_consent_is_valid(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    old = _add(store, CITIZEN, "portal", "g1")
    store.revoke_access(CITIZEN, "portal", 200.0)
    store.save_grant(_grant("g2"))  # consented again: a new grant
    new = _add(store, CITIZEN, "portal", "g2")
    assert store.credential_statuses()[1] == [old]
    assert new is not None and new != old


def test_no_index_is_allocated_under_a_revoked_grant(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    store.revoke_grant("g1", 150.0)
    assert _add(store, CITIZEN, "portal", "g1") is None
    assert _add(store, CITIZEN, "portal", "unknown") is None
    assert store.credential_statuses() == (0, [])


def test_statuses_are_shared_across_connections(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.save_grant(_grant("g1"))
    idx = _add(store, CITIZEN, "portal", "g1")
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
        idx = _add(store, CITIZEN, "portal", "g1")
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


def test_entries_of_expired_credentials_are_removed_as_new_ones_are_added(
        store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    expired = [_add(store, CITIZEN, "portal", "g1", expires_at=NOW + 10) for _ in range(3)]
    live = _add(store, CITIZEN, "portal", "g1", expires_at=NOW + 100)
    store.revoke_access(CITIZEN, "portal", 200.0)
    assert store.credential_statuses()[1] == [*expired, live]
    store.save_grant(_grant("g2"))
    newest = _add(store, CITIZEN, "portal", "g2", now=NOW + 10 + SWEEP_GRACE)
    size, revoked = store.credential_statuses()
    assert revoked == [live]  # an expired credential's bit no longer matters: it is gone
    assert newest is not None and size == newest + 1 and newest > (live or 0)


def test_an_index_of_a_removed_entry_is_never_given_again(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    first = _add(store, CITIZEN, "portal", "g1", expires_at=NOW + 1)
    again = _add(store, CITIZEN, "portal", "g1", now=NOW + 1 + SWEEP_GRACE)  # the first goes
    assert first is not None and again is not None and again > first
    assert store.credential_statuses()[0] == again + 1


def test_one_allocation_removes_a_bounded_batch(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    for _ in range(SWEEP_BATCH + 5):
        _add(store, CITIZEN, "portal", "g1", expires_at=NOW + 1)
    store.revoke_access(CITIZEN, "portal", 200.0)
    store.save_grant(_grant("g2"))
    _add(store, CITIZEN, "portal", "g2", now=NOW + 2 + SWEEP_GRACE)
    assert len(store.credential_statuses()[1]) == 5  # the batch went, five wait their turn
    _add(store, CITIZEN, "portal", "g2", now=NOW + 2 + SWEEP_GRACE)
    assert store.credential_statuses()[1] == []


def test_an_expired_credential_stays_revoked_for_a_day_after_its_exp(
        store: DurableStore) -> None:
    # A verifier with a slow clock, or a leeway on exp, may still accept it meanwhile.
    store.save_grant(_grant("g1"))
    idx = _add(store, CITIZEN, "portal", "g1", expires_at=NOW + 60)
    store.revoke_access(CITIZEN, "portal", 200.0)
    store.save_grant(_grant("g2"))
    _add(store, CITIZEN, "portal", "g2", now=NOW + 60 + SWEEP_GRACE - 0.001)
    assert store.credential_statuses()[1] == [idx]
    _add(store, CITIZEN, "portal", "g2", now=NOW + 60 + SWEEP_GRACE)
    assert store.credential_statuses()[1] == []


def test_a_table_from_before_expiry_opens_and_keeps_its_entries(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.save_grant(_grant("g1"))
    # The table as released before expiry was stored, with one entry.
    durable_backend.raw("DROP INDEX credential_status_by_expiry")
    durable_backend.raw("ALTER TABLE credential_status DROP COLUMN expires_at")
    durable_backend.raw("INSERT INTO credential_status (subject, client_id, epoch)"
                        " VALUES (?, ?, 0)", (CITIZEN, "portal"))
    reopened = durable_backend.open()
    legacy = reopened.credential_statuses()[0] - 1  # the old entry's index
    new = _add(reopened, CITIZEN, "portal", "g1", expires_at=NOW + 1)
    reopened.revoke_access(CITIZEN, "portal", 200.0)
    assert reopened.credential_statuses()[1] == [legacy, new]
    reopened.save_grant(_grant("g2"))
    _add(reopened, CITIZEN, "portal", "g2", now=NOW + 1 + SWEEP_GRACE)
    # The new entry expired and went; the old one's lifetime is unknown: it stays.
    assert reopened.credential_statuses()[1] == [legacy]


def test_concurrent_issuances_sweep_without_failing(store: DurableStore) -> None:
    # Each sweeps expired entries in its own transaction: none may wait on, or deadlock
    # with, another's (PostgreSQL: SKIP LOCKED).
    store.save_grant(_grant("g1"))
    for _ in range(4 * SWEEP_BATCH):
        _add(store, CITIZEN, "portal", "g1", expires_at=NOW + 1)
    later = NOW + 1 + SWEEP_GRACE
    got, errors = race(lambda: _add(store, CITIZEN, "portal", "g1", now=later), 8)
    assert errors == [] and len(got) == 8 and None not in got
    store.revoke_access(CITIZEN, "portal", 200.0)
    # Every live entry is still there: only expired ones went.
    assert set(got) <= set(store.credential_statuses()[1])
