"""An in-memory OpenID4VCI credential issuer behind the CredentialHttp seam.

Honest where the holder's side is concerned: it hands out single-use ``c_nonce``s,
verifies each key proof (typ, jwk signature, aud, nonce) and DPoP proofs for
DPoP-bound tokens, so the client is tested against the protocol. The credential it
returns is whatever ``issue`` makes of the proven holder key.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from eid.errors import EidError
from eid.oidc import verify_dpop_proof
from eid.oidc.http import HttpResponse
from eid.verify import KeySet
from eid.verify._codec import json_object
from eid.verify.jws import check_signature, parse_jws

ISSUER = "https://login.eid.test"
CONFIG_ID = "citizen_data_sd_jwt"
SCOPE = "citizen_credential"
VCT = "urn:eid:vn:citizen-data:1"


def metadata() -> dict[str, Any]:
    return {
        "credential_issuer": ISSUER,
        "credential_endpoint": ISSUER + "/credential",
        "nonce_endpoint": ISSUER + "/nonce",
        "credential_configurations_supported": {
            CONFIG_ID: {
                "format": "dc+sd-jwt", "vct": VCT, "scope": SCOPE,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported":
                                                  ["ES256", "EdDSA"]}},
            },
        },
    }


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json", **(headers or {})},
                        json.dumps(body).encode())


class FakeCredentialIssuer:
    def __init__(self, issue: Callable[[dict[str, Any], str], str] | None = None) -> None:
        self.meta = metadata()
        self.tokens: dict[str, str] = {}  # access token -> "Bearer" or a DPoP jkt
        self.nonces: set[str] = set()
        self.proofs: list[str] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.dpop_nonce: str | None = None  # demanded of DPoP proofs when set
        self.refuse_nonce_once = False
        #: (status, body, headers) answered instead of the credential, when set.
        self.answer: tuple[int, Any, dict[str, str]] | None = None
        self.issue = issue or (lambda jwk, token: "eyJhbGciOiJFUzI1NiJ9.e30.sig~")
        self.now = time.time()

    def token(self, *, jkt: str | None = None) -> str:
        token = secrets.token_urlsafe(16)
        self.tokens[token] = jkt or "Bearer"
        return token

    # -- CredentialHttp -------------------------------------------------------------
    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        self.requests.append((method, url, headers or {}))
        path = urllib.parse.urlsplit(url).path
        if method == "GET" and path == "/.well-known/openid-credential-issuer":
            return _json(200, self.meta)
        if method == "POST" and path == "/nonce":
            nonce = secrets.token_urlsafe(12)
            self.nonces.add(nonce)
            return _json(200, {"c_nonce": nonce}, {"cache-control": "no-store"})
        return _json(404, {"error": "not_found"})

    def post_json(self, url: str, payload: Mapping[str, Any], *,
                  headers: dict[str, str] | None = None) -> HttpResponse:
        headers = headers or {}
        self.requests.append(("POST", url, headers))
        if urllib.parse.urlsplit(url).path != "/credential":
            return _json(404, {"error": "not_found"})
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        bound = self.tokens.get(token)
        if bound is None or (scheme == "Bearer") != (bound == "Bearer"):
            return _json(401, {"error": "invalid_token"})
        if scheme == "DPoP":
            nonce = self.dpop_nonce
            try:
                proof = verify_dpop_proof(
                    [headers.get("DPoP", "")], method="POST", url=url, now=self.now,
                    remember_jti=lambda k, t: True, access_token=token,
                    nonce_valid=None if nonce is None else (lambda n: n == nonce))
            except EidError as exc:
                return _json(401, {"error": exc.code},
                             {"www-authenticate": f'DPoP error="{exc.code}"',
                              **({"dpop-nonce": nonce} if nonce else {})})
            if proof.jkt != bound:
                return _json(401, {"error": "invalid_token"})
        if self.answer is not None:
            return _json(*self.answer)
        if payload.get("credential_configuration_id") != CONFIG_ID:
            return _json(400, {"error": "unknown_credential_configuration"})
        proofs = payload.get("proofs", {}).get("jwt", [])
        if len(proofs) != 1:
            return _json(400, {"error": "invalid_proof"})
        self.proofs.append(proofs[0])
        try:
            parsed = parse_jws(proofs[0])
            jwk = parsed.header["jwk"]
            check_signature(parsed, KeySet.from_jwks({"keys": [jwk]}))
            claims = json_object(parsed.payload, "payload")
        except (EidError, KeyError):
            return _json(400, {"error": "invalid_proof"})
        if parsed.header.get("typ") != "openid4vci-proof+jwt" or claims.get("aud") != ISSUER:
            return _json(400, {"error": "invalid_proof"})
        if claims.get("nonce") not in self.nonces or self.refuse_nonce_once:
            self.refuse_nonce_once = False
            return _json(400, {"error": "invalid_nonce"})
        self.nonces.discard(claims["nonce"])
        return _json(200, {"credentials": [{"credential": self.issue(jwk, token)}]})
