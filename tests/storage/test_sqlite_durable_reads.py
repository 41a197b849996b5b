"""The SQLite durable store reads on a connection of its own: a read never waits for a
commit (its fsync) in progress, and sees only what is committed."""

from __future__ import annotations

import threading
from pathlib import Path

from eid.storage import Consent, SqliteDurableStore


def test_a_read_does_not_wait_for_a_commit_in_progress(tmp_path: Path) -> None:
    store = SqliteDurableStore(tmp_path / "eid.sqlite")
    store.save_consent(Consent("074078000101", "portal", frozenset({"openid"}), 1.0))
    found: list[Consent | None] = []
    with store._lock:  # the writer's connection, held as during a COMMIT
        reader = threading.Thread(target=lambda: found.append(
            store.consent("074078000101", "portal")))
        reader.start()
        reader.join(timeout=5)
        answered = not reader.is_alive()
    reader.join()
    store.close()
    assert answered and found and found[0] is not None


def test_a_read_sees_no_write_that_is_not_committed(tmp_path: Path) -> None:
    store = SqliteDurableStore(tmp_path / "eid.sqlite")
    seen: list[Consent | None] = []

    def write(db: object) -> None:
        store._db.execute("INSERT INTO consents VALUES ('074078000101', 'portal', 'openid', 1)")
        seen.append(store.consent("074078000101", "portal"))  # inside the open transaction

    store._writes.write(write)
    assert seen == [None]
    assert store.consent("074078000101", "portal") is not None
    store.close()
