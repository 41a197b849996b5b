"""Signed and signed-then-encrypted userinfo responses (OIDC Core §5.3.2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest

from eid.errors import TokenError
from eid.oidc.jwe import encrypt_jwe
from eid.verify import DecryptionKeys, verify_userinfo_jwt
from tests.verify.conftest import CLIENT, DROP, ISSUER, Mint

ROOT: Final = Path(__file__).resolve().parents[2]
_ENC: Final = next(k for k in json.loads(
    (ROOT / "fixtures/keys/test-encryption-keys.json").read_text())["keys"]
    if k["kid"] == "ec-p256-enc")
PORTAL_KEYS: Final = DecryptionKeys.from_jwks({"keys": [_ENC]})
PUBLIC: Final = {k: v for k, v in _ENC.items() if k != "d"}


def _verify(token: str, **kw: Any) -> dict[str, Any]:
    return verify_userinfo_jwt(token, issuer=ISSUER, audience=CLIENT,
                               decryption_keys=PORTAL_KEYS, **kw)


def test_a_signed_response_verifies(mint: Mint, jwks: dict[str, Any]) -> None:
    assert _verify(mint(name="An"), jwks=jwks)["name"] == "An"


def test_a_signed_then_encrypted_response_verifies(mint: Mint, jwks: dict[str, Any]) -> None:
    token = encrypt_jwe(mint(name="An"), PUBLIC, alg="ECDH-ES", cty="JWT")
    assert _verify(token, jwks=jwks)["name"] == "An"


def test_a_large_response_fits_under_the_jwe_cap(mint: Mint, jwks: dict[str, Any]) -> None:
    # Userinfo carries households and families: larger than an ID token's 16 KiB cap.
    token = encrypt_jwe(mint(household=["x" * 100] * 200), PUBLIC, alg="ECDH-ES", cty="JWT")
    assert len(token) > 16 * 1024
    assert len(_verify(token, jwks=jwks)["household"]) == 200


def test_aud_may_be_a_list_naming_the_client(mint: Mint, jwks: dict[str, Any]) -> None:
    assert _verify(mint(aud=[CLIENT, "other"]), jwks=jwks)["aud"] == [CLIENT, "other"]


@pytest.mark.parametrize(("claims", "code"), [
    ({"aud": "other"}, "invalid_audience"),
    ({"aud": ["other"]}, "invalid_audience"),
    ({"aud": [CLIENT, 5]}, "invalid_audience"),
    ({"iss": "https://evil.example"}, "invalid_issuer"),
])
def test_claims_that_do_not_name_this_provider_and_client(
        mint: Mint, jwks: dict[str, Any], claims: dict[str, Any], code: str) -> None:
    with pytest.raises(TokenError) as exc:
        _verify(mint(**claims), jwks=jwks)
    assert exc.value.code == code


@pytest.mark.parametrize("name", ["iss", "aud"])
def test_iss_and_aud_are_required(mint: Mint, jwks: dict[str, Any], name: str) -> None:
    token = mint(**{name: DROP})
    with pytest.raises(TokenError) as exc:
        _verify(token, jwks=jwks)
    assert exc.value.code == "missing_claim"


def test_an_encrypted_response_without_keys(mint: Mint, jwks: dict[str, Any]) -> None:
    token = encrypt_jwe(mint(), PUBLIC, alg="ECDH-ES", cty="JWT")
    with pytest.raises(TokenError) as exc:
        verify_userinfo_jwt(token, issuer=ISSUER, audience=CLIENT, jwks=jwks)
    assert exc.value.code == "jwe_not_supported"


def test_an_encrypted_but_unsigned_response_is_refused(jwks: dict[str, Any]) -> None:
    token = encrypt_jwe(json.dumps({"iss": ISSUER, "aud": CLIENT, "sub": "x"}), PUBLIC,
                        alg="ECDH-ES")
    with pytest.raises(TokenError) as exc:
        _verify(token, jwks=jwks)
    assert exc.value.code == "jwe_not_nested"
