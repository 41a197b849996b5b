"""Property-based proof: whatever the input, only a TokenError escapes."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.errors import TokenError
from eid.verify import KeySet, verify_id_token, verify_jws
from eid.verify._codec import b64url_encode
from tests.verify.conftest import CLIENT, ISSUER, NOW

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
b64_segment = st.binary(max_size=200).map(b64url_encode)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _only_token_errors(token: Any, keyset: KeySet) -> None:
    for call in (
        lambda: verify_jws(token, keyset),
        lambda: verify_id_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset, now=NOW),
    ):
        with contextlib.suppress(TokenError):
            call()


@SETTINGS
@given(token=st.one_of(st.text(), st.binary(), st.text(alphabet="AZaz09-_.=", max_size=300)))
def test_any_string_or_bytes(token: str | bytes, keyset: KeySet) -> None:
    _only_token_errors(token, keyset)


@SETTINGS
@given(parts=st.lists(b64_segment, min_size=1, max_size=6))
def test_any_segments(parts: list[str], keyset: KeySet) -> None:
    _only_token_errors(".".join(parts), keyset)


@SETTINGS
@given(header=json_values, payload=json_values, kid=st.sampled_from(["ec-p256", "ed25519"]))
def test_any_signed_json(header: Any, payload: Any, kid: str, mint_raw: Any,
                         keyset: KeySet) -> None:
    # Correctly signed tokens with arbitrary JSON exercise the post-signature rules.
    if isinstance(header, dict):
        header = {**header, "alg": "ES256" if kid == "ec-p256" else "EdDSA", "kid": kid}
    raw = [json.dumps(part).encode() for part in (header, payload)]
    _only_token_errors(mint_raw(raw[0], raw[1], kid=kid), keyset)


@SETTINGS
@given(claims=st.dictionaries(
    st.sampled_from(["iss", "aud", "sub", "exp", "iat", "nbf", "auth_time", "nonce", "acr",
                     "azp", "at_hash", "c_hash"]),
    json_values, max_size=12))
def test_any_claims(claims: dict[str, Any], mint_raw: Any, keyset: KeySet) -> None:
    token = mint_raw({"alg": "ES256", "kid": "ec-p256"}, claims)
    with contextlib.suppress(TokenError):
        verify_id_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset, now=NOW,
                        nonce="n", max_age=100, min_acr="LoA1", access_token="a", code="c")


@SETTINGS
@given(data=st.data())
def test_single_character_mutations_of_a_valid_token(data: st.DataObject, mint: Any,
                                                     keyset: KeySet) -> None:
    token = mint()
    i = data.draw(st.integers(0, len(token) - 1))
    c = data.draw(st.characters())
    mutated = token[:i] + c + token[i + 1:]
    if mutated != token:
        try:
            verify_jws(mutated, keyset)
        except TokenError:
            return
        # Only a change that leaves the signed bytes identical may pass: none can.
        raise AssertionError(f"mutation at {i} ({c!r}) was accepted")
