"""Property-based proof for SD-JWTs: whatever the input, only an EidError escapes, and no
change to a valid presentation is accepted."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.credentials import present
from eid.errors import EidError, TokenError
from eid.signing import SigningKey
from eid.verify import (
    KeySet,
    decode_disclosure,
    disclosure_digest,
    sd_hash,
    split_sd_jwt,
    verify_sd_jwt,
)
from eid.verify._codec import b64url_encode

ISSUER = "https://login.eid.test"
OFFICE = "https://office.thu-dau-mot.eid.test"
NOW = 1_764_000_000
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=16,
)
names = st.sampled_from(["name", "_sd", "...", "iss", "cnf", "exp", "x", ""]) | st.text(max_size=4)


def _only_eid_errors(token: Any, keyset: KeySet, holder: SigningKey | None = None) -> None:
    calls = [
        lambda: verify_sd_jwt(token, issuer=ISSUER, jwks=keyset, now=NOW),
        lambda: verify_sd_jwt(token, issuer=ISSUER, jwks=keyset, now=NOW, audience=OFFICE,
                              nonce="n", max_age=60),
        lambda: split_sd_jwt(token),
    ]
    if holder is not None:
        calls.append(lambda: present(token, disclose=["name"], holder_key=holder,
                                     audience=OFFICE, nonce="n", iat=NOW))
    for call in calls:
        with contextlib.suppress(EidError):
            call()


@SETTINGS
@given(token=st.one_of(st.text(), st.binary(), st.integers(), st.none(),
                       st.text(alphabet="AZaz09-_.~=", max_size=300)))
def test_any_value(token: Any, keyset: KeySet, signing_keys: dict[str, SigningKey]) -> None:
    _only_eid_errors(token, keyset, signing_keys["ec-p256-b"])


@SETTINGS
@given(parts=st.lists(st.binary(max_size=120).map(b64url_encode), min_size=1, max_size=8),
       dots=st.lists(st.integers(0, 7), max_size=6))
def test_any_segments(parts: list[str], dots: list[int], keyset: KeySet) -> None:
    joined = "~".join(parts)
    for i in dots:  # some parts become JWS-shaped
        joined = joined.replace("~", ".", 1) if i % 2 else joined
    _only_eid_errors(joined, keyset)


@SETTINGS
@given(content=st.lists(json_values, max_size=4) | json_values)
def test_any_disclosure(content: Any) -> None:
    encoded = b64url_encode(json.dumps(content).encode())
    with contextlib.suppress(TokenError):
        decoded = decode_disclosure(encoded)
        assert decoded.digest == disclosure_digest(encoded)


def _disclosures(draw: st.DrawFn) -> list[str]:
    out = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            content: list[Any] = [draw(st.text(max_size=4)), draw(names), draw(json_values)]
        else:
            content = [draw(st.text(max_size=4)), draw(json_values)]
        out.append(b64url_encode(json.dumps(content).encode()))
    return out


@st.composite
def presentations(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], dict[str, Any] | None]:
    """A signed payload that references (some of) arbitrary Disclosures, in `_sd` arrays and
    `...` elements at any place, and maybe a KB-JWT with arbitrary claims."""
    disclosures = _disclosures(draw)
    digests = [disclosure_digest(d) for d in disclosures] + ["decoy"]
    payload: dict[str, Any] = draw(st.dictionaries(names, json_values, max_size=4))
    payload.update({"iss": ISSUER, "iat": NOW, "exp": NOW + 60, "vct": "v"})
    payload["_sd"] = draw(st.lists(st.sampled_from(digests), max_size=4))
    payload["arr"] = [{"...": d} for d in draw(st.lists(st.sampled_from(digests), max_size=3))]
    if draw(st.booleans()):
        payload["nested"] = {"_sd": draw(st.lists(st.sampled_from(digests), max_size=3))}
    if draw(st.booleans()):
        payload["cnf"] = draw(st.sampled_from([{"jwk": "x"}, {}, "k", None]))
    kb = None
    if draw(st.booleans()):
        kb = draw(st.dictionaries(st.sampled_from(["iat", "aud", "nonce", "sd_hash", "exp"]),
                                  json_values, max_size=5))
    return payload, disclosures, kb


@SETTINGS
@given(case=presentations())
def test_any_signed_presentation(case: tuple[dict[str, Any], list[str], dict[str, Any] | None],
                                 mint_raw: Any, keyset: KeySet,
                                 signing_keys: dict[str, SigningKey]) -> None:
    payload, disclosures, kb = case
    jwt = mint_raw({"alg": "ES256", "kid": "ec-p256", "typ": "dc+sd-jwt"}, payload)
    token = "~".join([jwt, *disclosures, ""])
    if kb is not None:
        if kb.get("sd_hash") is None:
            kb["sd_hash"] = sd_hash(token)
        token += mint_raw({"alg": "ES256", "typ": "kb+jwt"}, kb, kid="ec-p256-b")
    _only_eid_errors(token, keyset, signing_keys["ec-p256-b"])


@SETTINGS
@given(data=st.data())
def test_single_character_mutations_of_a_valid_presentation(
        data: st.DataObject, keyset: KeySet, signing_keys: dict[str, SigningKey],
        mint_raw: Any) -> None:
    holder = signing_keys["ec-p256-b"]
    name = b64url_encode(json.dumps(["salt-1", "name", "Hoà"]).encode())
    payload = {"iss": ISSUER, "iat": NOW, "exp": NOW + 60, "vct": "v",
               "cnf": {"jwk": holder.public_jwk}, "_sd": [disclosure_digest(name)]}
    presented = "~".join([mint_raw({"alg": "ES256", "kid": "ec-p256", "typ": "dc+sd-jwt"},
                                   payload), name, ""])
    token = presented + mint_raw({"alg": "ES256", "typ": "kb+jwt"},
                                 {"iat": NOW, "aud": OFFICE, "nonce": "n",
                                  "sd_hash": sd_hash(presented)}, kid="ec-p256-b")
    args: dict[str, Any] = {"issuer": ISSUER, "jwks": keyset, "now": NOW, "audience": OFFICE,
                            "nonce": "n"}
    assert verify_sd_jwt(token, **args)["name"] == "Hoà"
    i = data.draw(st.integers(0, len(token) - 1))
    c = data.draw(st.characters())
    mutated = token[:i] + c + token[i + 1:]
    if mutated == token:
        return
    try:
        verify_sd_jwt(mutated, **args)
    except TokenError:
        return
    raise AssertionError(f"mutation at {i} ({c!r}) was accepted")
