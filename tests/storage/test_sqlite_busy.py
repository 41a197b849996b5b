"""Another process holding SQLite's write lock past the busy timeout: the store says
``storage_unavailable`` (the service's 503), never a raw ``sqlite3`` error (a 500)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from eid.errors import StorageError
from eid.storage import Consent, SqliteDurableStore


def test_a_write_lock_held_elsewhere_is_storage_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "eid.sqlite"
    store = SqliteDurableStore(path)
    other = sqlite3.connect(path, isolation_level=None)  # another worker, mid-transaction
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError) as err:  # after SQLite's busy timeout (5 s)
            store.save_consent(Consent("074078000101", "cong-dvc-hcm",
                                       frozenset({"openid"}), time.time()))
        assert err.value.code == "storage_unavailable"
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The lock gone, the same store writes again: nothing to reopen.
    store.save_consent(Consent("074078000101", "cong-dvc-hcm", frozenset({"openid"}),
                               time.time()))
    assert store.consent("074078000101", "cong-dvc-hcm") is not None
    store.close()
