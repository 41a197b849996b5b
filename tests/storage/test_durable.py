"""The durable-store contract, on SQLite and PostgreSQL (``durable_backend``): keys,
consents, grants, secrets, registered clients."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from eid.errors import StorageError
from eid.storage import (
    Consent,
    DurableStore,
    Grant,
    RegisteredClient,
    SqliteDurableStore,
    StoredKey,
)

from .conftest import DurableBackend


def test_consents_round_trip_and_revoke(
        store: DurableStore, durable_backend: DurableBackend) -> None:
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
    assert [c.client_id for c in durable_backend.open().consents(
        "074190000001")] == ["other"]


def test_duplicate_key_is_a_storage_error_and_changes_nothing(store: DurableStore) -> None:
    key = StoredKey("k1", "ES256", {"kty": "EC"}, 1.0)
    store.add_key(key)
    with pytest.raises(StorageError):
        store.add_key(key)
    assert [k.kid for k in store.signing_keys()] == ["k1"]


def test_an_unopenable_sqlite_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SqliteDurableStore(tmp_path / "missing-dir" / "d.sqlite")


def _grant(grant_id: str = "g1", client_id: str = "portal", refresh: str | None = "h1",
           created: float = 100.0) -> Grant:
    return Grant(grant_id, "074190000001", client_id, frozenset({"openid", "offline_access"}),
                 {"acr": "LoA2"}, refresh, created, created + 1000)


def test_grant_round_trip_and_refresh_compare_and_swap(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.save_grant(_grant())
    got = store.grant("g1")
    assert got is not None
    assert got.details == {"acr": "LoA2"} and got.refresh_hash == "h1" and got.live(500)
    assert store.rotate_refresh("g1", "h1", "h2") is True
    # The old hash no longer matches: a replayed refresh token loses the race.
    assert store.rotate_refresh("g1", "h1", "h3") is False
    grant = durable_backend.open().grant("g1")
    assert grant is not None and grant.refresh_hash == "h2"
    assert store.grant("missing") is None


def test_revoking_grants_by_id_and_by_citizen_and_client(store: DurableStore) -> None:
    store.save_grant(_grant("g1"))
    store.save_grant(_grant("g2"))
    store.save_grant(_grant("g3", client_id="other"))
    assert store.revoke_grant("g1", 200.0) is True
    assert store.revoke_grant("g1", 201.0) is False
    assert store.revoke_grants("074190000001", "portal", 300.0) == 1
    revoked = store.grant("g2")
    assert revoked is not None and revoked.revoked_at == 300.0 and not revoked.live(301)
    assert revoked.refresh_hash is None
    assert store.rotate_refresh("g2", "h1", "h9") is False
    kept = store.grant("g3")
    assert kept is not None and kept.live(301)


def test_expired_grants_are_swept_on_write(store: DurableStore) -> None:
    store.save_grant(_grant("old", created=0.0))
    store.save_grant(_grant("new", created=5000.0))
    assert store.grant("old") is None
    assert store.grant("new") is not None


def test_instance_secrets_are_created_once_and_kept(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    first = store.instance_secret("pairwise")
    assert len(first) == 32
    assert store.instance_secret("pairwise") == first
    assert store.instance_secret("session") != first
    assert durable_backend.open().instance_secret("pairwise") == first


# --- withdrawing a client's access (RFC 7009 §2.1, OIDC Core §11) ---------------------

CITIZEN = "074190000001"
NEEDS = frozenset({"openid", "offline_access"})


def _consented(store: DurableStore, scopes: frozenset[str] = NEEDS,
               client_id: str = "portal") -> None:
    store.save_consent(Consent(CITIZEN, client_id, scopes, 1.0))


def test_a_grant_is_saved_under_a_consent_that_covers_it_at_the_current_epoch(
        store: DurableStore) -> None:
    _consented(store)
    assert store.revocation_epoch(CITIZEN, "portal") == 0
    assert store.save_grant_if_consented(_grant("g1"), NEEDS, 0) is True
    assert store.grant("g1") is not None


@pytest.mark.parametrize("case", ["no_consent", "narrower_consent", "other_client_consent",
                                  "revoked_since", "revoked_and_consented_again"])
def test_a_grant_is_not_saved_once_its_consent_no_longer_holds(
        store: DurableStore, case: str) -> None:
    if case == "narrower_consent":
        _consented(store, frozenset({"openid"}))
    elif case == "other_client_consent":
        _consented(store, client_id="other")
    elif case != "no_consent":
        _consented(store)
        store.revoke_access(CITIZEN, "portal", 50.0)
        if case == "revoked_and_consented_again":
            _consented(store)
    assert store.save_grant_if_consented(_grant("g1"), NEEDS, 0) is False
    assert store.grant("g1") is None


def test_revoking_access_ends_consent_and_every_grant_and_moves_the_epoch(
        store: DurableStore) -> None:
    _consented(store)
    store.save_grant(_grant("g1"))
    store.save_grant(_grant("g2"))
    store.save_grant(_grant("g3", client_id="other"))
    store.revoke_consent(CITIZEN, "portal")  # a grant left without a consent row
    assert store.revoke_access(CITIZEN, "portal", 300.0) == 2
    assert store.consent(CITIZEN, "portal") is None
    assert [g.grant_id for g in store.live_grants(CITIZEN, 301.0)] == ["g3"]
    assert store.revocation_epoch(CITIZEN, "portal") == 1
    assert store.revoke_access(CITIZEN, "portal", 400.0) == 0  # nothing left, epoch still moves
    assert store.revocation_epoch(CITIZEN, "portal") == 2
    assert store.revocation_epoch(CITIZEN, "other") == 0


@pytest.mark.parametrize("case", ["never", "consented", "revoked", "consented_again",
                                  "other_client_only"])
def test_the_consent_and_the_epoch_are_read_together_as_each_alone(
        store: DurableStore, case: str) -> None:
    if case == "other_client_only":
        _consented(store, client_id="other")
        store.revoke_access(CITIZEN, "other", 5.0)
        _consented(store, client_id="other")
    elif case != "never":
        _consented(store)
        if case in ("revoked", "consented_again"):
            store.revoke_access(CITIZEN, "portal", 5.0)
        if case == "consented_again":
            _consented(store, frozenset({"openid"}))
    both = store.consent_and_epoch(CITIZEN, "portal")
    assert both == (store.consent(CITIZEN, "portal"), store.revocation_epoch(CITIZEN, "portal"))
    expected = {"never": (None, 0), "consented": (NEEDS, 0), "revoked": (None, 1),
                "consented_again": (frozenset({"openid"}), 1), "other_client_only": (None, 0)}
    consent, epoch = both
    assert (consent.scopes if consent else None, epoch) == expected[case]


def test_live_grants_leave_out_revoked_and_expired_ones(store: DurableStore) -> None:
    store.save_grant(_grant("g1", created=100.0))  # expires at 1100
    store.save_grant(_grant("g2", client_id="other", created=600.0))
    store.revoke_grant("g1", 200.0)
    assert [g.grant_id for g in store.live_grants(CITIZEN, 300.0)] == ["g2"]
    assert store.live_grants(CITIZEN, 1600.0) == []
    assert store.live_grants("074190000002", 300.0) == []


def test_epochs_survive_a_reset_and_a_restart(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.revoke_access(CITIZEN, "portal", 1.0)
    store.forget_consents_and_grants()
    assert durable_backend.open().revocation_epoch(CITIZEN, "portal") == 1


def test_no_grant_saved_concurrently_with_a_revocation_outlives_it(store: DurableStore) -> None:
    _consented(store)
    barrier = threading.Barrier(9)

    def redeem(n: int) -> None:
        barrier.wait(timeout=10)
        store.save_grant_if_consented(_grant(f"g{n}"), NEEDS, 0)

    def revoke() -> None:
        barrier.wait(timeout=10)
        store.revoke_access(CITIZEN, "portal", 150.0)

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=revoke))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert store.live_grants(CITIZEN, 200.0) == []


# The signing_keys table as released before scheduled rotation (no activates_at).
_OLD_KEYS_TABLE = """CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL,
    created_at REAL NOT NULL, retired_at REAL
)"""


def test_an_sqlite_instance_file_from_before_scheduled_rotation_opens(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "eid.sqlite"
    path.touch(mode=0o600)
    with sqlite3.connect(path) as old:
        old.execute(_OLD_KEYS_TABLE)
        old.execute("INSERT INTO signing_keys VALUES ('k1', 'ES256', '{}', 10.0, 20.0)")
        old.execute("INSERT INTO signing_keys VALUES ('k2', 'ES256', '{}', 20.0, NULL)")
    old.close()
    store = SqliteDurableStore(path)
    assert [(k.kid, k.activation, k.retired_at) for k in store.signing_keys()] == \
        [("k1", 10.0, 20.0), ("k2", 20.0, None)]
    store.add_key(StoredKey("k3", "ES256", {}, 30.0, activates_at=90.0))
    store.close()
    again = SqliteDurableStore(path)  # the migration runs once: a second open changes nothing
    assert [k.activates_at for k in again.signing_keys()] == [10.0, 20.0, 90.0]


def test_schedule_key_refuses_while_a_key_of_that_alg_is_pending(store: DurableStore) -> None:
    assert store.schedule_key(StoredKey("a", "ES256", {}, 0.0, activates_at=100.0), 0.0)
    assert not store.schedule_key(StoredKey("b", "ES256", {}, 50.0, activates_at=150.0), 50.0)
    assert store.schedule_key(StoredKey("c", "RS256", {}, 50.0, activates_at=150.0), 50.0)
    assert store.schedule_key(StoredKey("d", "ES256", {}, 100.0, activates_at=200.0), 100.0)
    assert [k.kid for k in store.signing_keys()] == ["a", "c", "d"]


def test_of_concurrent_rotations_on_one_database_exactly_one_schedules(
        durable_backend: DurableBackend) -> None:
    stores = [durable_backend.open() for _ in range(4)]  # four processes' connections
    start = threading.Barrier(len(stores))
    results: list[bool] = []

    def rotate(i: int) -> None:
        start.wait()
        results.append(stores[i].schedule_key(
            StoredKey(f"k{i}", "ES256", {}, 0.0, activates_at=100.0), 0.0))

    threads = [threading.Thread(target=rotate, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(results) == [False, False, False, True]
    assert len(stores[0].signing_keys()) == 1


@pytest.mark.parametrize("details", ["{not json", "[]"])
def test_a_corrupt_grant_row_is_a_storage_error(
        store: DurableStore, durable_backend: DurableBackend, details: str) -> None:
    store.save_grant(_grant())
    durable_backend.raw("UPDATE grants SET details = ?", (details,))
    with pytest.raises(StorageError) as err:
        store.grant("g1")
    assert err.value.code == "corrupt_record"


def _registered(client_id: str = "dcr-1") -> RegisteredClient:
    return RegisteredClient(client_id, {"client_name": "Cổng", "redirect_uris": ["https://p/cb"]},
                            "sha256$00$11", "sha256$22$33", 1.0)


def test_registered_clients_round_trip_across_connections(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    assert store.registered_client("dcr-1") is None
    assert store.add_registered_client(_registered()) is True
    assert durable_backend.open().registered_client("dcr-1") == _registered()


def test_a_registered_client_id_is_never_replaced(store: DurableStore) -> None:
    store.add_registered_client(_registered())
    other = RegisteredClient("dcr-1", {}, None, "sha256$44$55", 2.0)
    assert store.add_registered_client(other) is False
    assert store.registered_client("dcr-1") == _registered()


@pytest.mark.parametrize("metadata", ["{not json", "[]"])
def test_a_corrupt_registered_client_row_is_a_storage_error(
        store: DurableStore, durable_backend: DurableBackend, metadata: str) -> None:
    store.add_registered_client(_registered())
    durable_backend.raw("UPDATE registered_clients SET metadata = ?", (metadata,))
    with pytest.raises(StorageError) as err:
        store.registered_client("dcr-1")
    assert err.value.code == "corrupt_record"
