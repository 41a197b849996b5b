"""PKCE S256 (RFC 7636)."""

from __future__ import annotations

import pytest

from eid.errors import InvalidGrant, InvalidRequest
from eid.oidc.pkce import check_challenge, make_pkce, s256, verify_pkce


def test_rfc7636_appendix_b_vector() -> None:
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pair_round_trip() -> None:
    verifier, challenge = make_pkce()
    verify_pkce(verifier, check_challenge(challenge, "S256"))


@pytest.mark.parametrize(
    ("challenge", "method"),
    [(None, "S256"), ("", "S256"), ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "plain"),
     ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", None), ("short", "S256"),
     ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", "S256")],
    ids=["missing", "empty", "plain", "no-method", "short", "bad-alphabet"],
)
def test_bad_challenges(challenge: str | None, method: str | None) -> None:
    with pytest.raises(InvalidRequest):
        check_challenge(challenge, method)


@pytest.mark.parametrize(
    "verifier",
    [None, "", "a" * 42, "a" * 129, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk!",
     "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"],
    ids=["missing", "empty", "too-short", "too-long", "bad-char", "wrong"],
)
def test_bad_verifiers(verifier: str | None) -> None:
    with pytest.raises(InvalidGrant):
        verify_pkce(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
