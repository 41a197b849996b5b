"""A procedure portal and a citizen's browser, driving the login service's test client.

Fixture citizens come from ``fixtures/identities.json`` (see ``fixtures/README.md``
for their ID numbers, levels and passwords); demo portals from ``fixtures/clients.json``.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eid.oidc import make_pkce
from eid.verify import IdTokenClaims, verify_id_token

# fixtures/README.md: (ID number, password).
LOA2 = ("074078000101", "Hung-1978!")  # Nguyễn Văn Hùng, level 2
LOA1 = ("074209000303", "Khang-2009!")  # Nguyễn Minh Khang, level 1
LOCKED = ("079090001313", "Dat-1990!")  # locked account
DECEASED = ("074035001414", "Sau-1935!")  # deceased, account locked
UNKNOWN_ID = "074199999999"  # well-formed, not in the fixtures


@dataclass(frozen=True)
class Portal:
    client_id: str
    secret: str
    redirect_uri: str
    method: str = "client_secret_basic"


# fixtures/clients.json; secrets published in fixtures/README.md.
HCM = Portal("cong-dvc-hcm", "demo-hcm-portal-secret-2026", "http://127.0.0.1:5001/auth/callback")
NATIONAL = Portal("cong-dvc-quoc-gia-demo", "demo-national-portal-secret-2026",
                  "http://127.0.0.1:5002/callback", "client_secret_post")
TEST_CLIENT = Portal("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@dataclass
class Authorization:
    """One authorization request and what came of it."""

    params: dict[str, str]
    verifier: str
    response: TestResponse | None = None
    req_id: str | None = None
    result: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.result["code"]


class Flow:
    """Drives the test client like a browser plus a portal back end."""

    def __init__(self, app: Flask, browser: FlaskClient | None = None) -> None:
        self.app = app
        self.browser = browser or app.test_client()
        self.api = app.test_client()  # the portal's server: no cookies shared
        self.issuer: str = app.extensions["eid"].issuer

    def request(self, portal: Portal = HCM, **extra: str) -> Authorization:
        verifier, challenge = make_pkce()
        params = {"client_id": portal.client_id, "redirect_uri": portal.redirect_uri,
                  "response_type": "code", "scope": "openid profile", "state": "st-123",
                  "nonce": "n-456", "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        params.update(extra)
        return Authorization({k: v for k, v in params.items() if v is not None}, verifier)

    def start(self, auth: Authorization, *, method: str = "GET",
              headers: dict[str, str] | None = None) -> TestResponse:
        if method == "POST":
            r = self.browser.post("/authorize", data=auth.params, headers=headers)
        else:
            r = self.browser.get("/authorize", query_string=auth.params, headers=headers)
        auth.response = r
        if r.status_code == 302 and "req=" in r.location:
            auth.req_id = query(r.location)["req"]
        return r

    def follow(self, r: TestResponse) -> TestResponse:
        """Follow redirects inside the service; stop at one leaving it."""
        while r.status_code == 302 and r.location.startswith("/"):
            r = self.browser.get(r.location)
        return r

    def submit_login(self, id_number: str, password: str, req_id: str | None) -> TestResponse:
        page = self.browser.get("/login", query_string={"req": req_id} if req_id else {})
        return self.browser.post("/login", data={
            "csrf_token": csrf_of(page.get_data(as_text=True)), "req": req_id or "",
            "id_number": id_number, "password": password})

    def submit_consent(self, req_id: str, decision: str = "approve") -> TestResponse:
        page = self.browser.get("/consent", query_string={"req": req_id})
        assert page.status_code == 200, page.get_data(as_text=True)
        return self.browser.post("/consent", data={
            "csrf_token": csrf_of(page.get_data(as_text=True)), "req": req_id,
            "decision": decision})

    def authorize(self, auth: Authorization, who: tuple[str, str] = LOA2, *,
                  consent: str = "approve") -> dict[str, str]:
        """Run the whole browser side: authorize, log in if asked, consent if asked."""
        r = self.start(auth)
        r = self.follow(r)
        if r.status_code == 200 and b'id="login-form"' in r.data:
            r = self.follow(self.submit_login(*who, auth.req_id))
        if r.status_code == 200 and b'id="consent-form"' in r.data:
            assert auth.req_id is not None
            r = self.submit_consent(auth.req_id, consent)
        assert r.status_code == 302, r.get_data(as_text=True)
        auth.result = query(r.location)
        auth.response = r
        return auth.result

    def token(self, data: dict[str, str], portal: Portal = HCM,
              method: str | None = None) -> TestResponse:
        data = dict(data)
        headers = {}
        if (method or portal.method) == "client_secret_basic":
            raw = f"{portal.client_id}:{portal.secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            data.update(client_id=portal.client_id, client_secret=portal.secret)
        return self.api.post("/token", data=data, headers=headers)

    def redeem(self, auth: Authorization, portal: Portal = HCM, **kw: Any) -> TestResponse:
        return self.token({"grant_type": "authorization_code", "code": auth.code,
                           "redirect_uri": auth.params["redirect_uri"],
                           "code_verifier": auth.verifier}, portal, **kw)

    def verify(self, id_token: str, portal: Portal = HCM, **kw: Any) -> IdTokenClaims:
        jwks = self.api.get("/jwks").json
        return verify_id_token(id_token, issuer=self.issuer, audience=portal.client_id,
                               jwks=jwks, **kw)

    def client_auth(self, portal: Portal = HCM) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, form fields) authenticating ``portal`` by its registered method."""
        if portal.method == "client_secret_basic":
            raw = f"{portal.client_id}:{portal.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}, {}
        return {}, {"client_id": portal.client_id, "client_secret": portal.secret}

    def introspect(self, token: str, portal: Portal = HCM) -> dict[str, Any]:
        headers, form = self.client_auth(portal)
        r = self.api.post("/introspect", data={"token": token, **form}, headers=headers)
        assert r.status_code == 200
        body: dict[str, Any] = r.json or {}
        return body
