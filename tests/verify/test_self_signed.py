"""JWS signed by the key in their own header (the shared half of DPoP and key proofs)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eid.errors import EidError, OAuthError
from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode
from eid.verify.self_signed import verify_self_signed_jws

TYP = "example-proof+jwt"
_PUBLIC = ("kty", "crv", "x", "y", "n", "e")


class Refused(OAuthError):
    default_code = "refused"


def _seg(doc: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(doc, separators=(",", ":")).encode())


def _jwk(key: SigningKey) -> dict[str, Any]:
    return {k: v for k, v in key.public_jwk.items() if k in _PUBLIC}


def _proof(key: SigningKey, signer: SigningKey | None = None, **header: Any) -> str:
    head = {"typ": TYP, "alg": key.alg, "jwk": _jwk(key), **header}
    head = {k: v for k, v in head.items() if v is not None}
    return sign_segments(_seg(head), _seg({"nonce": "n-1"}), signer or key)


def _check(token: str, **kwargs: Any) -> Any:
    return verify_self_signed_jws(token, typ=TYP, algs=("ES256", "EdDSA"), max_size=8192,
                                  fail=Refused, **kwargs)


def test_a_proof_signed_by_its_own_key_yields_its_claims_and_key(
        signing_keys: dict[str, SigningKey]) -> None:
    key = signing_keys["ec-p256"]
    checked = _check(_proof(key, typ=TYP.upper()))  # media types are case-insensitive
    assert checked.claims == {"nonce": "n-1"} and checked.jwk == _jwk(key)


@pytest.mark.parametrize(("name", "make", "message"), [
    ("typ of another proof", lambda k, o: _proof(k, typ="dpop+jwt"), "typ must be"),
    ("no typ", lambda k, o: _proof(k, typ=None), "typ must be"),
    ("alg not allowed", lambda k, o: _proof(o["rsa-2048-b"]), "alg must be"),
    ("no jwk", lambda k, o: _proof(k, jwk=None), "no jwk"),
    ("private jwk", lambda k, o: _proof(k, jwk={**k.public_jwk, "d": "AAAA"}), "public key"),
    ("signed by another key", lambda k, o: _proof(k, o["ec-p256-b"]), "valid JWS"),
    # A kid naming another key changes nothing: the header's jwk is the only key.
    ("kid of another key", lambda k, o: _proof(k, o["ec-p256-b"], kid="ec-p256-b"),
     "valid JWS"),
    ("not a JWS", lambda k, o: "not.a.jws", "valid JWS"),
    ("too large", lambda k, o: _proof(k, pad="x" * 9000), "valid JWS"),
])
def test_each_failure_is_the_callers_error(signing_keys: dict[str, SigningKey], name: str,
                                           make: Any, message: str) -> None:
    with pytest.raises(Refused, match=message) as caught:
        _check(make(signing_keys["ec-p256"], signing_keys))
    assert caught.value.code == "refused"


def test_the_callers_header_rule_runs_before_the_key_is_used(
        signing_keys: dict[str, SigningKey]) -> None:
    def no_kid(header: dict[str, Any]) -> None:
        if "kid" in header:
            raise Refused("kid is not accepted")

    with pytest.raises(EidError, match="kid is not accepted"):
        _check(_proof(signing_keys["ec-p256"], kid="x"), check_header=no_kid)
