"""An in-memory OpenID provider speaking HTTP through the RP's HttpClient seam.

Small but honest: it checks client authentication, PKCE, redirect URI binding
and single use of codes, and signs real ID tokens with the fixture keys, so
the relying party is tested against the protocol rather than against mocks of
its own calls.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from typing import Any

from eid.oidc.http import HttpResponse
from eid.oidc.pkce import s256
from eid.signing import SigningKey, public_jwks, sign_token
from eid.verify import ALGORITHMS, token_hash

ISSUER = "https://login.eid.test"
CLIENT_ID = "portal"
SECRET = "portal-secret-0123456789"
REDIRECT = "https://portal.example.vn/cb"


class FakeProvider:
    def __init__(self, key: SigningKey, *, require_par: bool = False) -> None:
        self.key = key
        self.now = 1_764_000_000.0
        self.require_par = require_par
        self.codes: dict[str, dict[str, Any]] = {}
        self.pushed: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, str] = {}  # access token -> sub
        self.refresh_tokens: dict[str, str] = {}
        self.revoked: list[str] = []
        self.id_claims: dict[str, Any] = {}  # overrides for the next ID token
        self.userinfo_override: dict[str, Any] | None = None
        self.requests: list[tuple[str, str]] = []
        self.meta_override: dict[str, Any] = {}
        self.granted_scope: str | None = None  # narrower than requested, when set
        #: RFC 9396 §7: what the token response grants (default: the request's details).
        self.granted_details: list[dict[str, Any]] | None = None

    # -- the browser side: what the authorization endpoint would do --------------
    def authorize(self, url: str, sub: str = "pairwise-1", acr: str = "LoA2") -> dict[str, str]:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        if "request_uri" in query:
            query = self.pushed.pop(query["request_uri"])
        assert query["client_id"] == CLIENT_ID
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "sub": sub, "acr": acr}
        return {"code": code, "state": query["state"], "iss": ISSUER}

    # -- HttpClient ----------------------------------------------------------------
    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        self.requests.append((method, url))
        path = urllib.parse.urlsplit(url).path
        handler = {
            "/.well-known/openid-configuration": self._discovery, "/jwks": self._jwks,
            "/token": self._token, "/userinfo": self._userinfo, "/revoke": self._revoke,
            "/par": self._par,
        }.get(path)
        if handler is None:
            return _json(404, {"error": "not_found"})
        return handler(headers or {}, form or {})

    def post_json(self, url: str, payload: Any, *,
                  headers: dict[str, str] | None = None) -> HttpResponse:
        """No credential issuer here (a portal under test then files without a dossier,
        and never reaches the network for one)."""
        self.requests.append(("POST", url))
        return _json(404, {"error": "not_found"})

    def _discovery(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        doc = {
            "issuer": ISSUER, "authorization_endpoint": ISSUER + "/authorize",
            "token_endpoint": ISSUER + "/token", "jwks_uri": ISSUER + "/jwks",
            "userinfo_endpoint": ISSUER + "/userinfo", "revocation_endpoint": ISSUER + "/revoke",
            "end_session_endpoint": ISSUER + "/logout",
            "pushed_authorization_request_endpoint": ISSUER + "/par",
            "require_pushed_authorization_requests": self.require_par,
            "authorization_response_iss_parameter_supported": True,
        }
        doc.update(self.meta_override)
        return _json(200, doc)

    def _jwks(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        return _json(200, public_jwks([self.key]))

    def _client_ok(self, headers: dict[str, str], form: dict[str, str]) -> bool:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            pair = base64.b64decode(auth[6:]).decode()
            cid, _, secret = pair.partition(":")
            return (urllib.parse.unquote(cid), urllib.parse.unquote(secret)) == (CLIENT_ID, SECRET)
        return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, SECRET)

    def _par(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        if not self._client_ok(headers, form):
            return _json(401, {"error": "invalid_client"})
        uri = "urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(8)
        self.pushed[uri] = {k: v for k, v in form.items() if k != "client_secret"}
        return _json(201, {"request_uri": uri, "expires_in": 60})

    def _issue(self, sub: str, extra: dict[str, Any], with_refresh: bool) -> dict[str, Any]:
        access = secrets.token_urlsafe(16)
        self.tokens[access] = sub
        claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": int(self.now),
                  "exp": int(self.now) + 300, "auth_time": int(self.now),
                  "at_hash": token_hash(access, ALGORITHMS[self.key.alg]), **extra,
                  **self.id_claims}
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                "expires_in": 300,
                                "id_token": sign_token(claims, self.key)}
        if with_refresh:
            refresh = secrets.token_urlsafe(16)
            self.refresh_tokens[refresh] = sub
            body["refresh_token"] = refresh
        return body

    def _token(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        if not self._client_ok(headers, form):
            return _json(401, {"error": "invalid_client"})
        if form.get("grant_type") == "refresh_token":
            sub = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if sub is None:
                return _json(400, {"error": "invalid_grant"})
            return _json(200, self._issue(sub, {}, with_refresh=True))
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return _json(400, {"error": "invalid_grant", "error_description": "bad code"})
        if s256(form.get("code_verifier", "")) != grant["code_challenge"]:
            return _json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        extra = {"nonce": grant["nonce"], "acr": grant["acr"]}
        body = self._issue(grant["sub"], extra, with_refresh=True)
        body["scope"] = self.granted_scope or grant["scope"]
        details = self.granted_details if self.granted_details is not None \
            else json.loads(grant.get("authorization_details", "[]"))
        if details:
            body["authorization_details"] = details
        return _json(200, body)

    def _userinfo(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        sub = self.tokens.get(token)
        if sub is None:
            return _json(401, {"error": "invalid_token"})
        if self.userinfo_override is not None:
            return _json(200, self.userinfo_override)
        return _json(200, {"sub": sub, "name": "Nguyễn Văn An"})

    def _revoke(self, headers: dict[str, str], form: dict[str, str]) -> HttpResponse:
        if not self._client_ok(headers, form):
            return _json(401, {"error": "invalid_client"})
        self.revoked.append(form["token"])
        return HttpResponse(200, {}, b"")


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())
