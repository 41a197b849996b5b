"""private_key_jwt assertions, the provider's checks (eid.oidc.client_assertion).

Named after the FAPI 2.0 Security Profile test plan's client-authentication checks
where one applies; the keys are the FAPI test client's (fixtures/test-clients.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eid.errors import InvalidClient, TokenError
from eid.oidc.client_assertion import (
    MAX_LIFETIME,
    authenticate_assertion,
    check_client_assertion,
)
from eid.signing import SigningKey, sign_token
from eid.testing import make_client_assertion
from eid.verify import KeySet

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "https://login.eid.test"
CLIENT = "eid-fapi-test-client"
NOW = 1_800_000_000.0


def _client_keys() -> KeySet:
    doc = json.loads((ROOT / "fixtures" / "test-clients.json").read_text("utf-8"))
    raw = next(c for c in doc["clients"] if c["client_id"] == CLIENT)
    return KeySet.from_jwks(raw["jwks"])


KEYS = _client_keys()


class Jtis:
    """The short-lived store's ``add`` in miniature: True the first time only."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def __call__(self, jti: str, ttl: float) -> bool:
        if jti in self.seen:
            return False
        self.seen[jti] = ttl
        return True


def _check(assertion: object, jtis: Jtis | None = None, *, now: float = NOW) -> Any:
    return check_client_assertion(assertion, client_id=CLIENT, keys=KEYS, audiences=(ISSUER,),
                                  now=now, remember_jti=jtis or Jtis())


@pytest.fixture
def ec_key(signing_keys: dict[str, SigningKey]) -> SigningKey:
    return signing_keys["ec-p256-b"]


def test_valid_assertion_es256(ec_key: SigningKey) -> None:
    claims = _check(make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW))
    assert (claims["iss"], claims["sub"], claims["aud"]) == (CLIENT, CLIENT, ISSUER)


def test_valid_assertion_ps256(signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["rsa-2048-b"]
    assert key.alg == "PS256"
    assert _check(make_client_assertion(CLIENT, ISSUER, key, now=NOW))["sub"] == CLIENT


def test_client_assertion_signed_rs256_rejected(signing_keys: dict[str, SigningKey]) -> None:
    # FAPI 2.0 §5.4.1: RS256 (RSASSA-PKCS1-v1_5) is not among the allowed algorithms.
    key = SigningKey.from_jwk(
        json.loads((ROOT / "fixtures" / "keys" / "test-signing-keys.json").read_text())
        ["keys"][1], alg="RS256")
    assert key.kid == "rsa-2048-b"
    with pytest.raises(TokenError) as err:
        _check(make_client_assertion(CLIENT, ISSUER, key, now=NOW))
    assert err.value.code == "unsupported_algorithm"


@pytest.mark.parametrize(("claims", "code"), [
    ({"aud": "https://other.example"}, "invalid_audience"),  # wrong aud
    ({"aud": [ISSUER]}, "invalid_audience"),  # array aud (FAPI 2.0 §5.3.2.1: a string)
    ({"aud": [ISSUER, "https://other.example"]}, "invalid_audience"),
    ({"sub": None}, "missing_subject"),  # no sub
    ({"sub": "someone-else"}, "invalid_subject"),
    ({"iss": "someone-else"}, "invalid_issuer"),
    ({"iss": None}, "invalid_issuer"),
    ({"exp": None}, "missing_claim"),
    ({"exp": NOW - 61}, "expired"),  # exp in the past (beyond the 60 s skew)
    ({"exp": NOW + MAX_LIFETIME + 1}, "invalid_claim"),  # too long-lived
    ({"exp": "soon"}, "invalid_claim"),
    ({"exp": True}, "invalid_claim"),
    ({"nbf": NOW + 70}, "not_yet_valid"),  # nbf 70 s in the future
    ({"iat": NOW + 70}, "issued_in_future"),
    ({"jti": None}, "missing_claim"),
    ({"jti": ""}, "missing_claim"),
    ({"jti": 42}, "missing_claim"),
    ({"jti": "x" * 257}, "invalid_claim"),
])
def test_assertion_failures(ec_key: SigningKey, claims: dict[str, Any], code: str) -> None:
    with pytest.raises(TokenError) as err:
        _check(make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW, claims=claims))
    assert err.value.code == code


@pytest.mark.parametrize("claims", [{"nbf": NOW + 8}, {"iat": NOW + 8}, {"exp": NOW - 10}])
def test_clock_skew_tolerated(ec_key: SigningKey, claims: dict[str, Any]) -> None:
    # nbf / iat 8 s in the future, exp 10 s past: within the 60 s skew.
    _check(make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW, claims=claims))


def test_replayed_jti_rejected(ec_key: SigningKey) -> None:
    jtis = Jtis()
    assertion = make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW)
    _check(assertion, jtis)
    with pytest.raises(TokenError) as err:
        _check(assertion, jtis)
    assert err.value.code == "jti_replayed"


def test_jti_remembered_until_expiry(ec_key: SigningKey) -> None:
    jtis = Jtis()
    _check(make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW, lifetime=120), jtis)
    assert list(jtis.seen.values()) == [120 + 60]


def test_signature_by_another_key_rejected(signing_keys: dict[str, SigningKey]) -> None:
    # ec-p256 is not among the client's keys (ec-p256-b is): its kid is unknown.
    with pytest.raises(TokenError) as err:
        _check(make_client_assertion(CLIENT, ISSUER, signing_keys["ec-p256"], now=NOW))
    assert err.value.code == "unknown_kid"


def test_tampered_payload_rejected(ec_key: SigningKey) -> None:
    head, _, sig = make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW).split(".")
    other = make_client_assertion(CLIENT, ISSUER, ec_key, now=NOW + 1).split(".")[1]
    with pytest.raises(TokenError) as err:
        _check(f"{head}.{other}.{sig}")
    assert err.value.code == "bad_signature"


@pytest.mark.parametrize(("assertion", "code"), [
    (None, "not_a_string"), ("a.b", "malformed"), ("x" * 5000, "too_large")])
def test_malformed_assertions(assertion: object, code: str) -> None:
    with pytest.raises(TokenError) as err:
        _check(assertion)
    assert err.value.code == code


def test_payload_not_an_object(ec_key: SigningKey) -> None:
    from eid.signing import sign_segments
    from eid.verify._codec import b64url_encode

    header = b64url_encode(json.dumps({"alg": "ES256", "kid": ec_key.kid}).encode())
    token = sign_segments(header, b64url_encode(b"[1]"), ec_key)
    with pytest.raises(TokenError) as err:
        _check(token)
    assert err.value.code == "bad_json"


def test_failures_become_invalid_client(ec_key: SigningKey) -> None:
    assertion = sign_token({"iss": CLIENT, "sub": CLIENT, "aud": "https://x.example",
                            "exp": int(NOW) + 60, "jti": "j1"}, ec_key, typ=None)
    with pytest.raises(InvalidClient) as err:
        authenticate_assertion(assertion, client_id=CLIENT, keys=KEYS, audiences=(ISSUER,),
                               now=NOW, remember_jti=Jtis())
    assert err.value.code == "invalid_client" and err.value.status == 401
    assert isinstance(err.value.__cause__, TokenError)
    assert err.value.__cause__.code == "invalid_audience"


def test_failed_assertion_does_not_burn_its_jti(ec_key: SigningKey) -> None:
    # The jti is recorded only for an assertion that passed every other check.
    jtis = Jtis()
    bad = make_client_assertion(CLIENT, "https://x.example", ec_key, now=NOW,
                                claims={"jti": "same"})
    with pytest.raises(TokenError):
        _check(bad, jtis)
    assert jtis.seen == {}
