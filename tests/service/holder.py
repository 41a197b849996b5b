"""A portal asking the login service for a credential (OpenID4VCI 1.0): its holder key
(``ec-p256`` of fixtures/keys/test-signing-keys.json), key proofs, nonce and credential
requests against the service's test client."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import TestResponse

from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode
from tests.service.fapi import client_key
from tests.service.flow import HCM, Flow, Portal

#: The credential scope and configuration (service.credential_issuer).
SCOPE = "citizen_credential"
CONFIG = "citizen_data"
#: Data scopes and the credential scope, as the demo portal asks them.
SCOPES = f"openid profile address {SCOPE}"
#: What userinfo releases for SCOPES (besides sub): what the credential must disclose.
CLAIMS = ("address", "birthdate", "gender", "name")


def tokens(flow: Flow, scope: str = SCOPES, portal: Portal = HCM) -> dict[str, Any]:
    """Log the fixture citizen in at ``portal`` with ``scope``; the token response."""
    auth = flow.request(portal, scope=scope)
    flow.authorize(auth)
    r = flow.redeem(auth, portal)
    assert r.status_code == 200, r.get_data(as_text=True)
    body: dict[str, Any] = r.json or {}
    return body


def public_jwk(key: SigningKey) -> dict[str, str]:
    return {m: key.public_jwk[m] for m in ("kty", "crv", "x", "y")}


def encode(part: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(part, separators=(",", ":")).encode())


class Holder:
    """The portal's back end: its key, and the requests it sends to the issuer."""

    def __init__(self, flow: Flow, key: SigningKey | None = None) -> None:
        self.flow = flow
        self.key = key or client_key("ec-p256")

    def nonce(self) -> str:
        r = self.flow.api.post("/nonce")
        assert r.status_code == 200, r.get_data(as_text=True)
        value: str = (r.json or {})["c_nonce"]
        return value

    def header(self, **changes: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"typ": "openid4vci-proof+jwt", "alg": "ES256",
                                  "jwk": public_jwk(self.key)}
        header.update(changes)
        return {k: v for k, v in header.items() if v is not None}

    def claims(self, nonce: str | None, now: int, /, **changes: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {"aud": self.flow.issuer, "iat": now, "nonce": nonce}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def proof(self, nonce: str | None, now: int, *, header: dict[str, Any] | None = None,
              claims: dict[str, Any] | None = None, key: SigningKey | None = None) -> str:
        return sign_segments(encode(header or self.header()),
                             encode(claims if claims is not None else self.claims(nonce, now)),
                             key or self.key)

    def request(self, access_token: str, body: object, *, scheme: str = "Bearer",
                headers: dict[str, str] | None = None) -> TestResponse:
        return self.flow.api.post("/credential", json=body, headers={
            "Authorization": f"{scheme} {access_token}", **(headers or {})})

    def body(self, proof: str) -> dict[str, Any]:
        return {"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}

    def credential(self, access_token: str, now: int, **kw: Any) -> TestResponse:
        """Fetch a nonce, prove the key with it, ask for the credential."""
        return self.request(access_token, self.body(self.proof(self.nonce(), now)), **kw)
