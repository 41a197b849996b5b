"""The provider's key store: created once, durable, rotated with overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from eid.oidc.keystore import KeyStore
from eid.signing import sign_token
from eid.storage.durable import SqliteDurableStore
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
