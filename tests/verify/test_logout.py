"""Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6)."""

from __future__ import annotations

from typing import Any

import pytest

from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey, sign_token
from eid.verify import (
    BACKCHANNEL_LOGOUT_EVENT,
    LOGOUT_TOKEN_MAX_AGE,
    KeySet,
    logout_jti_retention,
    verify_logout_token,
)
from tests.verify.conftest import CLIENT, ISSUER, NOW

DROP: Any = object()


def logout_token(key: SigningKey, typ: str | None = "logout+jwt", **over: Any) -> str:
    claims: dict[str, Any] = {"iss": ISSUER, "aud": CLIENT, "iat": NOW, "exp": NOW + 120,
                              "jti": "j-1", "sid": "s-1", "sub": "pairwise-7f3a9c",
                              "events": {BACKCHANNEL_LOGOUT_EVENT: {}}}
    claims.update(over)
    return sign_token({k: v for k, v in claims.items() if v is not DROP}, key, typ=typ)


def verify(token: str, keyset: KeySet) -> dict[str, Any]:
    return verify_logout_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset, now=NOW)


def test_valid_logout_token(signing_keys: dict[str, SigningKey], keyset: KeySet) -> None:
    assert verify(logout_token(signing_keys["ec-p256"]), keyset)["sid"] == "s-1"
    verify(logout_token(signing_keys["ec-p256"], typ=None, sub=DROP), keyset)
    verify(logout_token(signing_keys["ec-p256"], sid=DROP), keyset)
    # Issued max_age (120 s) ago, within the 60 s leeway: still accepted.
    verify(logout_token(signing_keys["ec-p256"], iat=NOW - 180, exp=NOW + 60), keyset)


@pytest.mark.parametrize(
    ("typ", "over", "code"),
    [
        (None, {"nonce": "n"}, "nonce_forbidden"),
        ("JWT", {}, "wrong_token_type"),
        ("at+jwt", {}, "wrong_token_type"),
        ("logout+jwt", {"iss": "https://evil.test"}, "invalid_issuer"),
        ("logout+jwt", {"aud": "other"}, "invalid_audience"),
        ("logout+jwt", {"events": {}}, "invalid_event"),
        ("logout+jwt", {"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "invalid_event"),
        ("logout+jwt", {"events": DROP}, "invalid_event"),
        ("logout+jwt", {"sub": DROP, "sid": DROP}, "missing_subject"),
        ("logout+jwt", {"nonce": "n"}, "nonce_forbidden"),
        ("logout+jwt", {"jti": DROP}, "missing_claim"),
        ("logout+jwt", {"iat": DROP}, "missing_claim"),
        ("logout+jwt", {"exp": NOW - 61}, "expired"),
        # §2.4: exp is required; §2.6: iat bounds how long a jti must be remembered.
        ("logout+jwt", {"exp": DROP}, "missing_claim"),
        ("logout+jwt", {"iat": NOW - 181, "exp": NOW + 3600}, "token_too_old"),
        ("logout+jwt", {"iat": NOW - 86_400, "exp": NOW + 86_400}, "token_too_old"),
        ("logout+jwt", {"iat": NOW + 61}, "issued_in_future"),
    ],
)
def test_logout_token_rules(typ: str | None, over: dict[str, Any], code: str,
                            signing_keys: dict[str, SigningKey], keyset: KeySet) -> None:
    token = logout_token(signing_keys["ec-p256"], typ=typ, **over)
    with pytest.raises(TokenError) as err:
        verify(token, keyset)
    assert err.value.code == code


def test_an_id_token_is_never_a_logout_token(mint: Any, keyset: KeySet) -> None:
    with pytest.raises(TokenError) as err:
        verify(mint(), keyset)
    assert err.value.code == "wrong_token_type"


def test_a_jti_is_remembered_as_long_as_its_token_is_accepted(
        signing_keys: dict[str, SigningKey], keyset: KeySet) -> None:
    retention = logout_jti_retention()
    assert retention == LOGOUT_TOKEN_MAX_AGE + 2 * 60
    # The latest-expiring acceptable token: issued a leeway in the future, first seen now.
    token = logout_token(signing_keys["ec-p256"], iat=NOW + 60, exp=NOW + 86_400)
    verify_logout_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset,
                        now=NOW + retention - 1)
    with pytest.raises(TokenError) as err:
        verify_logout_token(token, issuer=ISSUER, audience=CLIENT, jwks=keyset,
                            now=NOW + retention + 1)
    assert err.value.code == "token_too_old"


@pytest.mark.parametrize("max_age", [0, -1, float("nan")])
def test_max_age_must_be_positive(max_age: float, signing_keys: dict[str, SigningKey],
                                  keyset: KeySet) -> None:
    with pytest.raises(ConfigurationError) as err:
        verify_logout_token(logout_token(signing_keys["ec-p256"]), issuer=ISSUER,
                            audience=CLIENT, jwks=keyset, now=NOW, max_age=max_age)
    assert err.value.code == "invalid_argument"
