"""The durable SQLite store: keys and consents."""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.errors import StorageError
from eid.storage.durable import Consent, SqliteDurableStore, StoredKey


def test_consents_round_trip_and_revoke(tmp_path: Path) -> None:
    store = SqliteDurableStore(tmp_path / "d.sqlite")
    store.save_consent(Consent("074190000001", "portal", frozenset({"openid", "profile"}), 1.0))
    store.save_consent(Consent("074190000001", "other", frozenset({"openid"}), 2.0))
    got = store.consent("074190000001", "portal")
    assert got is not None
    assert got.scopes == {"openid", "profile"}
    assert [c.client_id for c in store.consents("074190000001")] == ["other", "portal"]
    assert store.revoke_consent("074190000001", "portal") is True
    assert store.revoke_consent("074190000001", "portal") is False
    assert store.consent("074190000001", "portal") is None
    # Durable: a new connection sees the same state.
    assert [c.client_id for c in SqliteDurableStore(tmp_path / "d.sqlite").consents(
        "074190000001")] == ["other"]


def test_duplicate_key_is_a_storage_error_and_changes_nothing() -> None:
    store = SqliteDurableStore()
    key = StoredKey("k1", "ES256", {"kty": "EC"}, 1.0)
    store.add_key(key)
    with pytest.raises(StorageError):
        store.add_key(key)
    assert [k.kid for k in store.signing_keys()] == ["k1"]


def test_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SqliteDurableStore(tmp_path / "missing-dir" / "d.sqlite")
