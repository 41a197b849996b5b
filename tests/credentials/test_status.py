"""The Token Status List (draft-ietf-oauth-status-list): encoding, the signed token, and
the verifier's checks of it."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from eid.credentials import (
    STATUS_INVALID,
    STATUS_VALID,
    StatusList,
    status_list_token,
    verify_status_list_token,
)
from eid.credentials.status import encode_status_list
from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey, public_jwks, sign_token

URI = "https://login.eid.test/statuslists/1"
NOW = 1_764_000_000
#: The draft's one-bit example (§4.1): statuses of indexes 0-15 and the list they make.
EXAMPLE = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
EXAMPLE_LST = "eNrbuRgAAhcBXQ"


def test_the_drafts_example_encodes_to_its_list() -> None:
    invalid = [i for i, s in enumerate(EXAMPLE) if s]
    assert encode_status_list(16, invalid) == {"bits": 1, "lst": EXAMPLE_LST}


def test_the_drafts_example_list_decodes_to_its_statuses(issuer_key: SigningKey) -> None:
    token = sign_token({"sub": URI, "iat": NOW, "status_list": {"bits": 1, "lst": EXAMPLE_LST}},
                       issuer_key, typ="statuslist+jwt")
    listed = verify_status_list_token(token, jwks=public_jwks([issuer_key]), uri=URI, now=NOW)
    assert [listed.status(i) for i in range(16)] == EXAMPLE


def test_a_signed_list_round_trips(issuer_key: SigningKey) -> None:
    token = status_list_token(key=issuer_key, uri=URI, size=16_384, invalid=[3, 9000],
                              iat=NOW, exp=NOW + 3600, ttl=60)
    listed = verify_status_list_token(token, jwks=public_jwks([issuer_key]), uri=URI, now=NOW)
    assert listed.status(3) == listed.status(9000) == STATUS_INVALID
    assert listed.status(0) == listed.status(16_383) == STATUS_VALID
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "statuslist+jwt"
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert (payload["sub"], payload["iat"], payload["exp"], payload["ttl"]) == (
        URI, NOW, NOW + 3600, 60)


@pytest.mark.parametrize("idx", [-1, 16, 2**40, True])
def test_an_index_outside_the_list_has_no_status(idx: Any) -> None:
    with pytest.raises(TokenError) as err:
        StatusList(b"\x00\x00").status(idx)
    assert err.value.code == "invalid_claim"


@pytest.mark.parametrize("idx", [-1, 16])
def test_encoding_an_index_outside_the_list_is_a_caller_error(idx: int) -> None:
    with pytest.raises(ConfigurationError) as err:
        encode_status_list(16, [idx])
    assert err.value.code == "invalid_argument"


def _lst(data: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(data)).rstrip(b"=").decode()


Claims = dict[str, Any]
GOOD: Claims = {"sub": URI, "iat": NOW, "exp": NOW + 3600,
                "status_list": {"bits": 1, "lst": _lst(b"\x00" * 8)}}


def _token(key: SigningKey, claims: Claims | None = None, typ: str = "statuslist+jwt") -> str:
    return sign_token(claims if claims is not None else GOOD, key, typ=typ)


def _claims(**changes: Any) -> Callable[[SigningKey, SigningKey], str]:
    return lambda key, other: _token(key, {**GOOD, **changes})


def _without(name: str) -> Callable[[SigningKey, SigningKey], str]:
    return lambda key, other: _token(key, {k: v for k, v in GOOD.items() if k != name})


FAILURES: dict[str, tuple[Callable[[SigningKey, SigningKey], str], str]] = {
    "typ JWT": (lambda key, other: _token(key, typ="JWT"), "wrong_token_type"),
    "typ dc+sd-jwt": (lambda key, other: _token(key, typ="dc+sd-jwt"), "wrong_token_type"),
    "signed by another key": (lambda key, other: _token(other), "unknown_kid"),
    "another list's sub": (_claims(sub="https://login.eid.test/statuslists/2"),
                           "invalid_claim"),
    "no sub": (_without("sub"), "invalid_claim"),
    "no iat": (_without("iat"), "missing_claim"),
    "iat in the future": (_claims(iat=NOW + 61), "issued_in_future"),
    "expired": (_claims(exp=NOW - 61), "expired"),
    "exp a string": (_claims(exp="tomorrow"), "invalid_claim"),
    "no status_list": (_without("status_list"), "missing_claim"),
    "two bits per status": (_claims(status_list={"bits": 2, "lst": _lst(b"\x00")}),
                            "invalid_claim"),
    "bits true": (_claims(status_list={"bits": True, "lst": _lst(b"\x00")}), "invalid_claim"),
    "lst not a string": (_claims(status_list={"bits": 1, "lst": 7}), "invalid_claim"),
    "lst not base64url": (_claims(status_list={"bits": 1, "lst": "a+b/"}), "bad_base64"),
    "lst not ZLIB": (_claims(status_list={"bits": 1, "lst": "AAAA"}), "invalid_claim"),
    "lst truncated": (_claims(status_list={"bits": 1, "lst": _lst(b"\x00" * 64)[:-6]}),
                      "invalid_claim"),
    "lst a ZLIB bomb": (_claims(status_list={"bits": 1, "lst": _lst(b"\x00" * (9 << 20))}),
                        "invalid_claim"),
}


@pytest.mark.parametrize(("make", "code"), FAILURES.values(), ids=FAILURES.keys())
def test_a_bad_status_list_token_is_refused(
        signing_keys: dict[str, SigningKey], make: Callable[[SigningKey, SigningKey], str],
        code: str) -> None:
    key, other = signing_keys["ec-p256"], signing_keys["ec-p256-b"]
    with pytest.raises(TokenError) as err:
        verify_status_list_token(make(key, other), jwks=public_jwks([key]), uri=URI, now=NOW)
    assert err.value.code == code
