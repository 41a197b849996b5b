"""DPoP proofs (RFC 9449 §4.2)."""

from __future__ import annotations

import base64
import hashlib
import json

from eid.oidc import DpopKey
from eid.verify import KeySet, verify_jws
from eid.verify._codec import b64url_decode


def _parts(token: str) -> tuple[dict[str, object], dict[str, object]]:
    head, body, _ = token.split(".")
    return json.loads(b64url_decode(head, "h")), json.loads(b64url_decode(body, "p"))


def test_proof_shape_and_signature() -> None:
    key = DpopKey(clock=lambda: 1_764_000_000)
    proof = key.proof("post", "https://login.eid.test/token?x=1#frag", nonce="n-1")
    header, claims = _parts(proof)
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    jwk = header["jwk"]
    assert isinstance(jwk, dict)
    assert not {"d", "kid"} & jwk.keys()  # public only
    assert claims["htm"] == "POST"
    assert claims["htu"] == "https://login.eid.test/token"  # no query, no fragment
    assert claims["iat"] == 1_764_000_000
    assert claims["nonce"] == "n-1"
    assert "ath" not in claims
    # The proof verifies with the key it carries.
    verify_jws(proof, KeySet.from_jwks({"keys": [jwk]}))


def test_proofs_are_unique_and_bind_the_access_token() -> None:
    key = DpopKey()
    a = _parts(key.proof("GET", "https://login.eid.test/userinfo", access_token="at-1"))[1]
    b = _parts(key.proof("GET", "https://login.eid.test/userinfo", access_token="at-1"))[1]
    assert a["jti"] != b["jti"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(b"at-1").digest()).rstrip(b"=").decode()
    assert a["ath"] == expected
