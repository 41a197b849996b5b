"""A JWKS dict passed as ``jwks=``: parsed once, yet never served stale after a change."""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eid.errors import EidError
from eid.verify import KeySet, _jwkscache, verify_jws
from tests.verify.conftest import Mint

KID = "ec-p256"  # the key mint() signs with


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Each test starts cold, so "parsed again or not" is about its own dicts only.
    _jwkscache._distinct.clear()
    _jwkscache._by_id.clear()
    yield
    _jwkscache._distinct.clear()
    _jwkscache._by_id.clear()


@pytest.fixture
def mine(jwks: dict[str, Any]) -> dict[str, Any]:
    """The caller's own JWKS dict; the signing key also carries a ``key_ops`` list."""
    own: dict[str, Any] = json.loads(json.dumps(jwks))
    _jwk(own, KID)["key_ops"] = ["verify"]
    return own


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every argument ``KeySet.from_jwks`` is called with, from here on."""
    seen: list[object] = []
    real = KeySet.from_jwks

    def recording(document: object) -> KeySet:
        seen.append(document)
        return real(document)

    monkeypatch.setattr(KeySet, "from_jwks", staticmethod(recording))
    return seen


def _jwk(document: dict[str, Any], kid: str) -> dict[str, Any]:
    return next(k for k in document["keys"] if k.get("kid") == kid)


def _code(token: str, jwks: Any) -> str | None:
    """``None`` when the token verifies, else the failure's code."""
    try:
        verify_jws(token, jwks)
    except EidError as err:
        return err.code
    return None


def _other_point(document: dict[str, Any]) -> None:
    signing, other = _jwk(document, KID), _jwk(document, "ec-p256-b")
    signing["x"], signing["y"] = other["x"], other["y"]


def _replace_signing_key(document: dict[str, Any]) -> None:
    keys = document["keys"]
    keys[keys.index(_jwk(document, KID))] = {**_jwk(document, "ec-p256-b"), "kid": KID}


Mutation = Callable[[dict[str, Any]], object]


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda d: d["keys"].remove(_jwk(d, KID)), "unknown_kid"),
        (lambda d: d["keys"].clear(), "unknown_kid"),
        (lambda d: d.update(keys=[k for k in d["keys"] if k.get("kid") != KID]), "unknown_kid"),
        (lambda d: _jwk(d, KID).update(kid="ec-p256-renamed"), "unknown_kid"),
        (_other_point, "bad_signature"),
        (_replace_signing_key, "bad_signature"),
        (lambda d: _jwk(d, KID).update(use="enc"), "key_rejected"),
        (lambda d: _jwk(d, KID).update(alg="PS256"), "key_rejected"),
        (lambda d: _jwk(d, KID)["key_ops"].__setitem__(0, "sign"), "key_rejected"),
        (lambda d: _jwk(d, KID)["key_ops"].clear(), "key_rejected"),
        (lambda d: _jwk(d, KID).pop("y"), "malformed_jwks"),
        (lambda d: _jwk(d, KID).update(d="AAAA"), "private_key_in_jwks"),
        (lambda d: d["keys"].append(dict(_jwk(d, KID))), "duplicate_kid"),
    ],
    ids=[
        "key-removed-in-place", "keys-cleared", "keys-list-replaced", "kid-renamed",
        "point-changed", "key-swapped-under-same-kid", "use-enc", "alg-for-another-kty",
        "key-ops-item-changed", "key-ops-emptied", "member-deleted", "private-member-added",
        "duplicate-kid-appended",
    ],
)
def test_a_dict_mutated_in_place_is_parsed_again(
    mutate: Mutation, code: str, mint: Mint, mine: dict[str, Any]
) -> None:
    token = mint()
    assert _code(token, mine) is None  # parsed and cached
    mutate(mine)
    assert _code(token, mine) == code


def test_a_key_added_in_place_is_trusted_on_the_next_call(
    mint: Mint, mine: dict[str, Any]
) -> None:
    signing = _jwk(mine, KID)
    mine["keys"].remove(signing)
    token = mint()
    assert _code(token, mine) == "unknown_kid"
    mine["keys"].append(signing)
    assert _code(token, mine) is None


def test_a_mutation_undone_is_trusted_again(mint: Mint, mine: dict[str, Any]) -> None:
    token = mint()
    signing = _jwk(mine, KID)
    signing["use"] = "enc"
    assert _code(token, mine) == "key_rejected"
    signing["use"] = "sig"
    assert _code(token, mine) is None


def test_an_equal_copy_is_served_without_parsing_again(
    mint: Mint, mine: dict[str, Any], parses: list[object]
) -> None:
    token = mint()
    assert _code(token, mine) is None
    twin = copy.deepcopy(mine)  # `mine` stays alive, so the copy has another id
    assert _code(token, twin) is None
    assert len(parses) == 1


@pytest.mark.parametrize("changed", ["copy", "original"])
def test_equal_copies_stay_independent(changed: str, mint: Mint, mine: dict[str, Any]) -> None:
    token = mint()
    twin = copy.deepcopy(mine)
    assert _code(token, mine) is None and _code(token, twin) is None
    mutated, untouched = (twin, mine) if changed == "copy" else (mine, twin)
    _jwk(mutated, KID)["key_ops"].clear()
    assert _code(token, mutated) == "key_rejected"
    assert _code(token, untouched) is None


def test_the_parse_reads_a_private_copy(
    mint: Mint, mine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another thread changes the caller's dict right after the parse: the cached parse must
    # still belong to the snapshot it is guarded by, so the next call sees the change.
    real = KeySet.from_jwks

    def parse_then_mutate(document: object) -> KeySet:
        keyset = real(document)
        mine["keys"].remove(_jwk(mine, KID))
        return keyset

    monkeypatch.setattr(KeySet, "from_jwks", staticmethod(parse_then_mutate))
    token = mint()
    assert _code(token, mine) is None
    monkeypatch.setattr(KeySet, "from_jwks", real)
    assert _code(token, mine) == "unknown_kid"


def test_a_mapping_that_cannot_be_copied_is_parsed_on_each_call(
    mint: Mint, mine: dict[str, Any]
) -> None:
    token = mint()
    view = types.MappingProxyType(mine)
    assert _code(token, view) is None
    mine["keys"].remove(_jwk(mine, KID))
    assert _code(token, view) == "unknown_kid"


def test_a_freed_dicts_id_is_not_trusted(mint: Mint, mine: dict[str, Any]) -> None:
    token = mint()
    assert _code(token, mine) is None
    other: dict[str, Any] = {"keys": []}
    _jwkscache._by_id[id(other)] = _jwkscache._by_id[id(mine)]
    assert _code(token, other) == "unknown_kid"
