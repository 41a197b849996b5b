"""The provider's key store: created once, durable, rotated with overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from eid.oidc.keystore import KeyStore, key_states
from eid.signing import sign_token
from eid.storage import SqliteDurableStore, StoredKey
from eid.verify import KeySet, verify_jws


def test_keys_are_created_once_and_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "eid.sqlite"
    first = KeyStore(SqliteDurableStore(db))
    kids = [k["kid"] for k in first.jwks()["keys"]]
    assert len(kids) == 2
    token = sign_token({"sub": "x"}, first.signing_key("ES256"))
    again = KeyStore(SqliteDurableStore(db))
    assert [k["kid"] for k in again.jwks()["keys"]] == kids
    verify_jws(token, KeySet.from_jwks(again.jwks()))


def test_jwks_is_public_only() -> None:
    store = KeyStore(SqliteDurableStore())
    for jwk in store.jwks()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()
    assert {k["alg"] for k in store.jwks()["keys"]} == {"ES256", "RS256"}


def test_rotation_keeps_old_public_keys_for_the_retention_period() -> None:
    now = [1000.0]
    store = KeyStore(SqliteDurableStore(), retain=3600, clock=lambda: now[0])
    old = store.signing_key("ES256")
    token = sign_token({"sub": "x"}, old)
    now[0] += 10
    store.rotate("ES256", delay=0)
    assert store.signing_key("ES256").kid != old.kid
    verify_jws(token, KeySet.from_jwks(store.jwks()))  # still verifiable
    now[0] += 3601
    store.rotate("RS256", delay=0)  # reloads; the retired ES256 key has aged out
    assert old.kid not in {k["kid"] for k in store.jwks()["keys"]}


def test_unknown_algorithm() -> None:
    with pytest.raises(ConfigurationError):
        KeyStore(SqliteDurableStore(), algs=("ES256",)).signing_key("RS256")


# --- scheduled rotation: next -> current -> retired -> unpublished -----------------------

class _Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _state(store: KeyStore, kid: str) -> str:
    return next(s.state for s in store.states() if s.kid == kid)


def _published(store: KeyStore) -> set[str]:
    return {k["kid"] for k in store.jwks()["keys"]}


def test_a_rotated_key_is_published_before_it_signs_and_the_old_one_after() -> None:
    clock = _Clock()
    store = KeyStore(SqliteDurableStore(), algs=("ES256",), retain=600, clock=clock)
    old = store.signing_key("ES256").kid
    (new,) = store.rotate("ES256", delay=900)
    assert (new.state, new.activates_at) == ("next", 1900.0)
    # next: published, not signing
    assert _published(store) == {old, new.kid}
    assert store.signing_key("ES256").kid == old
    clock.now = 1899.9
    assert store.signing_key("ES256").kid == old
    # current: activation passed, no reload needed (the state is derived from times)
    clock.now = 1900.0
    assert store.signing_key("ES256").kid == new.kid
    assert (_state(store, old), _state(store, new.kid)) == ("retired", "current")
    assert _published(store) == {old, new.kid}  # tokens the old key signed still verify
    # unpublished once every token it signed has expired
    clock.now = 1900.0 + 599
    assert old in _published(store)
    clock.now = 1900.0 + 600
    assert _published(store) == {new.kid}
    assert _state(store, old) == "retired"


def test_a_token_signed_just_before_the_switch_verifies_until_retention_ends() -> None:
    clock = _Clock()
    store = KeyStore(SqliteDurableStore(), algs=("ES256",), retain=600, clock=clock)
    store.rotate("ES256", delay=60)
    clock.now = 1059.0
    token = sign_token({"sub": "x"}, store.signing_key("ES256"))
    clock.now = 1060.0 + 599
    verify_jws(token, KeySet.from_jwks(store.jwks()))


def test_instances_sharing_one_file_agree_on_the_current_key(tmp_path: Path) -> None:
    clock = _Clock()
    db = tmp_path / "eid.sqlite"
    a = KeyStore(SqliteDurableStore(db), clock=clock, reload_interval=5)
    b = KeyStore(SqliteDurableStore(db), clock=clock, reload_interval=5)
    assert {alg: a.signing_key(alg).kid for alg in a.algorithms} == \
        {alg: b.signing_key(alg).kid for alg in b.algorithms}
    (new,) = a.rotate("ES256", delay=60)
    clock.now += 5  # b re-reads after its interval and publishes the next key ...
    assert new.kid in _published(b)
    assert b.signing_key("ES256").kid != new.kid  # ... without signing with it
    clock.now += 55
    assert a.signing_key("ES256").kid == b.signing_key("ES256").kid == new.kid


def test_a_rotation_elsewhere_is_seen_only_after_the_reload_interval(tmp_path: Path) -> None:
    clock = _Clock()
    db = tmp_path / "eid.sqlite"
    a = KeyStore(SqliteDurableStore(db), algs=("ES256",), clock=clock, reload_interval=5)
    b = KeyStore(SqliteDurableStore(db), algs=("ES256",), clock=clock, reload_interval=5)
    (new,) = a.rotate("ES256", delay=60)
    clock.now += 4.9
    assert new.kid not in _published(b)  # the cached state: no store read on this path
    clock.now += 0.1
    assert new.kid in _published(b)


def test_the_signing_path_reads_the_store_only_once_per_interval() -> None:
    reads = []

    class Counting(SqliteDurableStore):
        def signing_keys(self) -> list[StoredKey]:
            reads.append(1)
            return super().signing_keys()

    clock = _Clock()
    store = KeyStore(Counting(), algs=("ES256",), clock=clock, reload_interval=5)
    reads.clear()
    for _ in range(1000):
        store.signing_key("ES256")
    assert reads == []
    clock.now += 5
    store.signing_key("ES256")
    assert reads == [1]


def test_a_second_rotation_while_one_is_pending_is_refused() -> None:
    store = KeyStore(SqliteDurableStore(), clock=_Clock())
    store.rotate("ES256", delay=60)
    before = [s.kid for s in store.states()]
    with pytest.raises(ConfigurationError) as err:
        store.rotate(None, delay=60)  # RS256 could rotate, ES256 cannot: neither does
    assert err.value.code == "rotation_pending"
    assert [s.kid for s in store.states()] == before


@pytest.mark.parametrize("delay", [-1.0, float("nan")])
def test_a_negative_delay_is_refused(delay: float) -> None:
    with pytest.raises(ConfigurationError) as err:
        KeyStore(SqliteDurableStore(), algs=("ES256",)).rotate("ES256", delay=delay)
    assert err.value.code == "invalid_argument"


def test_rotating_an_algorithm_it_does_not_sign_is_refused() -> None:
    with pytest.raises(ConfigurationError) as err:
        KeyStore(SqliteDurableStore(), algs=("ES256",)).rotate("RS256", delay=0)
    assert err.value.code == "unsupported_algorithm"


def test_workers_starting_together_create_one_first_key(tmp_path: Path) -> None:
    db = tmp_path / "eid.sqlite"
    first, second = SqliteDurableStore(db), SqliteDurableStore(db)
    # the second worker read an empty store before the first one's insert
    key = StoredKey("late", "ES256", {}, 1000.0)
    KeyStore(first, algs=("ES256",))
    assert second.schedule_key(key, float("-inf")) is False
    assert len(second.signing_keys()) == 1


class _ReadBeforeTheInsert:
    """A worker's store whose first read of the keys came before another worker's insert."""

    def __init__(self, store: SqliteDurableStore) -> None:
        self._store, self._read = store, False

    def signing_keys(self) -> list[StoredKey]:
        first, self._read = not self._read, True
        return [] if first else self._store.signing_keys()

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_worker_that_loses_the_first_key_race_signs_with_the_winner_s_key(
        tmp_path: Path) -> None:
    db = tmp_path / "eid.sqlite"
    winner = KeyStore(SqliteDurableStore(db), algs=("ES256",))
    loser = KeyStore(_ReadBeforeTheInsert(SqliteDurableStore(db)),  # type: ignore[arg-type]
                     algs=("ES256",))
    assert loser.signing_key("ES256").kid == winner.signing_key("ES256").kid


def test_a_key_retired_before_scheduled_rotation_stays_retired() -> None:
    # Rows written by the old rotate(): retired_at set at once, successor created then.
    durable = SqliteDurableStore()
    old = KeyStore(durable, algs=("ES256",), clock=_Clock(0.0)).signing_key("ES256")
    durable.retire_key(old.kid, 500.0)
    store = KeyStore(durable, algs=("ES256",), retain=100, clock=_Clock(550.0))
    assert _state(store, old.kid) == "retired"
    assert store.signing_key("ES256").kid != old.kid  # a fresh key signs at once
    assert old.kid in _published(store)


def test_key_states_orders_by_activation() -> None:
    keys = [StoredKey("b", "ES256", {}, 10.0, activates_at=100.0),
            StoredKey("a", "ES256", {}, 0.0)]
    states = {s.kid: s for s in key_states(keys, 50.0, retain=30)}
    assert (states["a"].state, states["a"].retires_at, states["a"].unpublish_at) == \
        ("current", 100.0, 130.0)
    assert (states["b"].state, states["b"].retires_at) == ("next", None)
