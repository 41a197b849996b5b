"""verify_id_token: the claim rules of OIDC Core 3.1.3.7 and the time edges."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time

from eid.errors import ConfigurationError, TokenError
from eid.verify import KeySet, token_hash, verify_id_token
from eid.verify.algorithms import ALGORITHMS
from tests.verify.conftest import CLIENT, DROP, ISSUER, NONCE, NOW, Mint


def verify(token: str, keyset: KeySet, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT, "jwks": keyset, "now": NOW}
    args.update(kw)
    return dict(verify_id_token(token, **args))


def code_of(token: str, keyset: KeySet, **kw: Any) -> str:
    with pytest.raises(TokenError) as err:
        verify(token, keyset, **kw)
    return err.value.code


def test_valid_token_returns_its_claims(mint: Mint, keyset: KeySet) -> None:
    claims = verify(mint(), keyset, nonce=NONCE, max_age=60, min_acr="LoA2")
    assert claims["sub"] == "pairwise-7f3a9c"
    assert claims["acr"] == "LoA2"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iss": "https://evil.test"}, "invalid_issuer"),
        ({"iss": ISSUER + "/"}, "invalid_issuer"),
        ({"iss": DROP}, "invalid_issuer"),
        ({"aud": "other-portal"}, "invalid_audience"),
        ({"aud": ["other-portal"]}, "invalid_audience"),
        ({"aud": []}, "invalid_audience"),
        ({"aud": [CLIENT, 5]}, "invalid_audience"),
        ({"aud": DROP}, "invalid_audience"),
        ({"aud": [CLIENT, "other-portal"]}, "invalid_azp"),
        ({"aud": [CLIENT, "other-portal"], "azp": "other-portal"}, "invalid_azp"),
        ({"azp": "other-portal"}, "invalid_azp"),
        ({"sub": ""}, "invalid_subject"),
        ({"sub": 42}, "invalid_subject"),
        ({"sub": "x" * 256}, "invalid_subject"),
        ({"sub": DROP}, "invalid_subject"),
        ({"exp": DROP}, "missing_claim"),
        ({"exp": str(NOW + 300)}, "invalid_claim"),
        ({"exp": True}, "invalid_claim"),
        ({"exp": None}, "invalid_claim"),
        ({"exp": 10**30}, "invalid_claim"),
        ({"iat": DROP}, "missing_claim"),
        ({"iat": "now"}, "invalid_claim"),
        ({"nbf": False}, "invalid_claim"),
        ({"auth_time": "yesterday"}, "invalid_claim"),
        ({"exp": NOW - 60}, "expired"),
        ({"iat": NOW + 61}, "issued_in_future"),
        ({"nbf": NOW + 61}, "not_yet_valid"),
    ],
)
def test_claim_rules(claims: dict[str, Any], code: str, mint: Mint, keyset: KeySet) -> None:
    assert code_of(mint(**claims), keyset) == code


def test_several_audiences_with_azp_of_this_client_pass(mint: Mint, keyset: KeySet) -> None:
    token = mint(aud=[CLIENT, "other-portal"], azp=CLIENT)
    assert verify(token, keyset)["azp"] == CLIENT


@pytest.mark.parametrize(
    ("nonce_claim", "expected", "ok"),
    [
        (NONCE, NONCE, True),
        ("other", NONCE, False),
        (DROP, NONCE, False),
        (12345, NONCE, False),
        (NONCE, None, True),  # OIDC Core 12.2: refreshed ID tokens may carry a nonce
        (DROP, None, True),
    ],
)
def test_nonce(nonce_claim: Any, expected: str | None, ok: bool, mint: Mint,
               keyset: KeySet) -> None:
    token = mint(nonce=nonce_claim)
    if ok:
        verify(token, keyset, nonce=expected)
    else:
        assert code_of(token, keyset, nonce=expected) == "nonce_mismatch"


@pytest.mark.parametrize(
    ("acr", "min_acr", "ok"),
    [
        ("LoA2", "LoA1", True),
        ("LoA2", "LoA2", True),
        ("LoA1", "LoA1", True),
        ("LoA1", "LoA2", False),
        (DROP, "LoA1", False),
        ("LoA3", "LoA1", False),
        ("loa2", "LoA1", False),
        (2, "LoA1", False),
        ("LoA1", None, True),
        (DROP, None, True),
    ],
)
def test_assurance_level(acr: Any, min_acr: str | None, ok: bool, mint: Mint,
                         keyset: KeySet) -> None:
    token = mint(acr=acr)
    if ok:
        verify(token, keyset, min_acr=min_acr)
    else:
        assert code_of(token, keyset, min_acr=min_acr) == "acr_too_low"


@pytest.mark.parametrize(
    ("auth_time", "max_age", "code"),
    [
        (NOW - 100, 100, None),
        (NOW - 160, 100, None),  # 60 s leeway
        (NOW - 161, 100, "auth_too_old"),
        (DROP, 100, "missing_claim"),
        (DROP, None, None),
        (NOW - 10**6, None, None),
    ],
)
def test_max_age(auth_time: Any, max_age: int | None, code: str | None, mint: Mint,
                 keyset: KeySet) -> None:
    token = mint(auth_time=auth_time)
    if code is None:
        verify(token, keyset, max_age=max_age)
    else:
        assert code_of(token, keyset, max_age=max_age) == code


@pytest.mark.parametrize("kid", ["rsa-2048", "rsa-2048-b", "ec-p256", "ed25519"])
@pytest.mark.parametrize("claim,arg", [("at_hash", "access_token"), ("c_hash", "code")])
def test_token_hashes(kid: str, claim: str, arg: str, mint: Mint, keyset: KeySet) -> None:
    alg = {"rsa-2048": "RS256", "rsa-2048-b": "PS256", "ec-p256": "ES256", "ed25519": "EdDSA"}
    value = "SlAV32hkKG-access-or-code"
    good = mint(kid=kid, **{claim: token_hash(value, ALGORITHMS[alg[kid]])})
    verify(good, keyset, **{arg: value})
    assert code_of(good, keyset, **{arg: value + "x"}) == f"{claim}_mismatch"
    # Absent is allowed (OIDC Core 3.1.3.6), and nothing is checked without the value.
    verify(mint(kid=kid), keyset, **{arg: value})
    verify(mint(kid=kid, **{claim: "garbage"}), keyset)


def test_ed25519_hashes_with_sha512() -> None:
    # OIDC Core 3.1.3.6 with RFC 8037: the hash of the curve, SHA-512 for Ed25519.
    import base64
    import hashlib

    digest = hashlib.sha512(b"token").digest()[:32]
    assert token_hash("token", ALGORITHMS["EdDSA"]) == (
        base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )


def test_at_hash_vector_from_oidc_core() -> None:
    # OIDC Core A.3: access token and at_hash of the RS256 example.
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", ALGORITHMS["RS256"]) == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )


@pytest.mark.parametrize(
    ("typ", "ok"),
    [
        ("JWT", True), ("jwt", True), ("application/jwt", True), ("Application/JWT", True),
        (None, True), ("at+jwt", False), ("application/at+jwt", False),
        ("logout+jwt", False), ("dpop+jwt", False), ("JOSE", False), (7, False),
    ],
)
def test_typ_header(typ: Any, ok: bool, mint: Mint, keyset: KeySet) -> None:
    token = mint(typ=None, headers=None if typ is None else {"typ": typ})
    if ok:
        verify(token, keyset)
    else:
        assert code_of(token, keyset) == "wrong_token_type"


def test_payload_is_parsed_only_after_the_signature(mint_raw: Any, keyset: KeySet) -> None:
    # A token whose payload is not JSON, with a bad signature, fails on the signature.
    head, body, _sig = mint_raw({"alg": "ES256", "kid": "ec-p256"}, b"{not json").split(".")
    other = mint_raw({"alg": "ES256", "kid": "ec-p256"}, b"{}").split(".")[2]
    assert code_of(f"{head}.{body}.{other}", keyset) == "bad_signature"
    assert code_of(f"{head}.{body}.{_sig}", keyset) == "bad_json"


# --- time edges, with a frozen clock (no ``now=``) -------------------------------

EXP = NOW + 300


@pytest.mark.parametrize(
    ("at", "ok"),
    [(EXP - 1, True), (EXP, True), (EXP + 59, True), (EXP + 60, False), (EXP + 61, False)],
    ids=["before", "at-exp", "leeway-1s", "at-exp+leeway", "leeway+1s"],
)
def test_expiry_edges_with_frozen_clock(at: int, ok: bool, mint: Mint, keyset: KeySet) -> None:
    token = mint()
    with freeze_time(_iso(at)):
        if ok:
            verify(token, keyset, now=None)
        else:
            assert code_of(token, keyset, now=None) == "expired"


def test_expiry_with_zero_leeway(mint: Mint, keyset: KeySet) -> None:
    token = mint()
    with freeze_time(_iso(EXP)):
        assert code_of(token, keyset, now=None, leeway=0) == "expired"
    with freeze_time(_iso(EXP - 1)):
        verify(token, keyset, now=None, leeway=0)


@pytest.mark.parametrize(
    ("claim", "value", "code"),
    [("nbf", NOW + 60, "not_yet_valid"), ("iat", NOW + 60, "issued_in_future")],
)
@pytest.mark.parametrize(("delta", "ok"), [(-1, False), (0, True), (1, True)])
def test_not_before_and_issued_at_edges(
    claim: str, value: int, code: str, delta: int, ok: bool, mint: Mint, keyset: KeySet
) -> None:
    # Valid from value - leeway: at NOW + delta with value = NOW + 60 and leeway 60.
    token = mint(**{claim: value})
    with freeze_time(_iso(NOW + delta)):
        if ok:
            verify(token, keyset, now=None)
        else:
            assert code_of(token, keyset, now=None) == code


def _iso(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat()


# --- the caller's mistakes are configuration errors, checked before the token ----

@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"issuer": ""}, "invalid_argument"),
        ({"issuer": None}, "invalid_argument"),
        ({"audience": ""}, "invalid_argument"),
        ({"audience": ["a"]}, "invalid_argument"),
        ({"nonce": ""}, "invalid_argument"),
        ({"nonce": 5}, "invalid_argument"),
        ({"max_age": -1}, "invalid_argument"),
        ({"max_age": "60"}, "invalid_argument"),
        ({"max_age": float("nan")}, "invalid_argument"),
        ({"min_acr": "LoA3"}, "unknown_acr"),
        ({"min_acr": "loa2"}, "unknown_acr"),
        ({"leeway": -1}, "invalid_argument"),
        ({"leeway": 301}, "invalid_argument"),
        ({"leeway": True}, "invalid_argument"),
        ({"leeway": float("inf")}, "invalid_argument"),
        ({"now": "2025-01-01"}, "invalid_argument"),
        ({"max_size": 0}, "invalid_argument"),
        ({"access_token": ""}, "invalid_argument"),
        ({"code": b"abc"}, "invalid_argument"),
        ({"jwks": "https://login.eid.test/jwks"}, "invalid_jwks_argument"),
    ],
)
def test_configuration_errors(kw: dict[str, Any], code: str, mint: Mint, keyset: KeySet) -> None:
    with pytest.raises(ConfigurationError) as err:
        verify(mint(), keyset, **kw)
    assert err.value.code == code
