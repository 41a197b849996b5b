"""The durable store's queue of back-channel logout notices: claims are leased, atomic, durable."""

from __future__ import annotations

import threading

import pytest

from eid.errors import StorageError
from eid.storage import DurableStore, LogoutNotice

from .conftest import DurableBackend


def _notice(n: int, due: float = 100.0) -> LogoutNotice:
    return LogoutNotice(f"n{n}", "portal", f"sub-{n}", f"sid-{n}", created_at=due, due_at=due)


def test_a_claim_leases_the_notice_until_its_lease_ends(store: DurableStore) -> None:
    store.add_logout_notices([_notice(1)])
    assert store.claim_logout_notices(99.0, 60, 10) == []  # not due yet
    [claimed] = store.claim_logout_notices(100.0, 60, 10)
    assert claimed == _notice(1)
    assert store.claim_logout_notices(159.0, 60, 10) == []  # leased to the first sender
    assert store.next_logout_due() == 160.0
    [again] = store.claim_logout_notices(160.0, 60, 10)  # that sender died: retried
    assert again.notice_id == "n1"


def test_claims_come_oldest_due_first_up_to_the_limit(store: DurableStore) -> None:
    store.add_logout_notices([_notice(1, 103), _notice(2, 101), _notice(3, 102)])
    assert [n.notice_id for n in store.claim_logout_notices(200, 60, 2)] == ["n2", "n3"]
    assert [n.notice_id for n in store.claim_logout_notices(200, 60, 2)] == ["n1"]


def test_reschedule_and_drop(store: DurableStore) -> None:
    store.add_logout_notices([_notice(1), _notice(2)])
    store.reschedule_logout_notice("n1", 3, 500.0)
    store.drop_logout_notice("n2")
    assert store.next_logout_due() == 500.0
    [n1] = store.claim_logout_notices(500.0, 60, 10)
    assert (n1.attempts, n1.due_at) == (3, 500.0)
    store.drop_logout_notice("n1")
    assert store.next_logout_due() is None
    store.drop_logout_notice("n1")  # dropping twice is fine


def test_two_senders_never_claim_the_same_notice(store: DurableStore) -> None:
    store.add_logout_notices([_notice(i) for i in range(200)])
    claimed: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        while batch := store.claim_logout_notices(100.0, 60, 7):
            with lock:
                claimed.extend(n.notice_id for n in batch)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(claimed) == sorted(f"n{i}" for i in range(200))


def test_adding_is_all_or_nothing(store: DurableStore) -> None:
    store.add_logout_notices([_notice(1)])
    with pytest.raises(StorageError):
        store.add_logout_notices([_notice(2), _notice(1)])  # n1 exists: nothing is added
    assert [n.notice_id for n in store.claim_logout_notices(1000, 60, 10)] == ["n1"]


def test_the_queue_survives_reopening(durable_backend: DurableBackend) -> None:
    first = durable_backend.open()
    first.add_logout_notices([_notice(1)])
    first.close()
    assert durable_backend.open().claim_logout_notices(100, 60, 10) == [_notice(1)]
