"""Two `eid serve` processes behind one issuer URL, as behind a load balancer, sharing one
Redis and one durable store (SQLite, or PostgreSQL): every step of a login may land on
either instance.

Both processes start at the same moment on an empty instance folder (as a rollout would),
so whatever one keeps to itself (a secret, a key, a cache) shows up as a failed step.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from eid.oidc import DpopKey, make_pkce
from eid.testing import make_client_assertion
from eid.verify import verify_id_token
from tests.servers import PostgresServer, free_port, redis_server, wait_until_serving
from tests.service.fapi import FAPI_ID, FAPI_REDIRECT, URN, client_key

ISSUER_PORT = free_port()  # nothing listens: the load balancer's address is only a name here
ISSUER = f"http://127.0.0.1:{ISSUER_PORT}"
TEST_CLIENT, TEST_SECRET, TEST_REDIRECT = "eid-test-client", "eid-test-secret", \
    "http://127.0.0.1:9999/cb"
CITIZEN, PASSWORD = "074078000101", "Hung-1978!"  # fixtures/README.md
HCM, HCM_SECRET, HCM_REDIRECT = "cong-dvc-hcm", "demo-hcm-portal-secret-2026", \
    "http://127.0.0.1:5001/auth/callback"
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def query(self) -> dict[str, str]:
        parsed = urllib.parse.urlsplit(self.location)
        return dict(urllib.parse.parse_qsl(parsed.query))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One cookie jar for both instances (cookies do not tell ports apart: RFC 6265 §8.5,
    as a load balancer's one host name would not)."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def call(self, base: str, path: str, *, query: dict[str, str] | None = None,
             form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
             body: Any = None) -> Answer:
        url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = dict(headers or {})
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        req = urllib.request.Request(url, data=data, headers=headers)
        try:
            with self.opener.open(req, timeout=20) as resp:
                return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                              resp.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@dataclass
class Instances:
    a: str
    b: str
    logs: list[Path]


def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def instances(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    """The two instances on one Redis and one durable store: a SQLite file in the one
    instance folder both name, or one PostgreSQL database (``EID_DATABASE_URL``)."""
    folder = tmp_path_factory.mktemp("two-instances")
    with redis_server() as redis_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EID_")}
        env.update(EID_ISSUER=ISSUER, EID_INSTANCE=str(folder / "instance"),
                   EID_REDIS_URL=redis_url, EID_TEST_MODE="1")
        if request.param == "postgres":
            server: PostgresServer = request.getfixturevalue("postgres")
            env["EID_DATABASE_URL"] = server.create_database("two_instances")
        ports = free_port(), free_port()
        logs = [folder / f"{name}.log" for name in "ab"]
        procs = [_serve(port, env, log) for port, log in zip(ports, logs, strict=True)]
        try:
            for port, proc in zip(ports, procs, strict=True):
                wait_until_serving(f"http://127.0.0.1:{port}/jwks", proc, "eid serve")
            # The store is the one named: on PostgreSQL no SQLite file appears.
            assert (folder / "instance" / "eid.sqlite").exists() == (request.param == "sqlite")
            yield Instances(*(f"http://127.0.0.1:{port}" for port in ports), logs)
        finally:
            for proc in procs:
                proc.terminate()
            # Past granian's own kill of a worker that does not stop within 30 s (seen
            # once: a worker whose start finished only as the stop began). Graceful stop
            # itself is test_serving_production's; here the instances only have to end.
            for proc in procs:
                proc.wait(timeout=60)


def _basic(client: str = TEST_CLIENT, secret: str = TEST_SECRET) -> dict[str, str]:
    raw = base64.b64encode(f"{client}:{secret}".encode()).decode()
    return {"Authorization": "Basic " + raw}


def _authorize(browser: Browser, base: str, verifier_out: list[str], **extra: str) -> Answer:
    verifier, challenge = make_pkce()
    verifier_out.append(verifier)
    return browser.call(base, "/authorize", query={
        "client_id": TEST_CLIENT, "redirect_uri": TEST_REDIRECT, "response_type": "code",
        "scope": "openid profile offline_access", "state": "st", "nonce": "n-1",
        "code_challenge": challenge, "code_challenge_method": "S256", **extra},
        headers={"X-Eid-Test-Identity": CITIZEN} if "prompt" not in extra else {})


def test_a_login_crosses_instances_at_every_step(instances: Instances) -> None:
    a, b = instances.a, instances.b
    browser, portal = Browser(), Browser()
    verifiers: list[str] = []
    # Authorize on A (signed in by the test header), the code redeemed on B.
    r = _authorize(browser, a, verifiers)
    assert r.status == 302 and "code" in r.query(), r.body
    tokens = portal.call(b, "/token", headers=_basic(), form={
        "grant_type": "authorization_code", "code": r.query()["code"],
        "redirect_uri": TEST_REDIRECT, "code_verifier": verifiers[-1]})
    assert tokens.status == 200, tokens.body
    jwks = portal.call(a, "/jwks").json
    claims = verify_id_token(tokens.json["id_token"], issuer=ISSUER, audience=TEST_CLIENT,
                             jwks=jwks, nonce="n-1")
    # Userinfo on A, refresh on B, the refreshed token on A again.
    info = portal.call(a, "/userinfo",
                       headers={"Authorization": f"Bearer {tokens.json['access_token']}"})
    assert info.status == 200 and info.json["sub"] == claims["sub"], info.body
    fresh = portal.call(b, "/token", headers=_basic(), form={
        "grant_type": "refresh_token", "refresh_token": tokens.json["refresh_token"]})
    assert fresh.status == 200, fresh.body
    info = portal.call(a, "/userinfo",
                       headers={"Authorization": f"Bearer {fresh.json['access_token']}"})
    assert info.status == 200, info.body
    # A code replayed on A after B redeemed it: refused, and its tokens revoked on both.
    again = portal.call(a, "/token", headers=_basic(), form={
        "grant_type": "authorization_code", "code": r.query()["code"],
        "redirect_uri": TEST_REDIRECT, "code_verifier": verifiers[0]})
    assert again.status == 400 and again.json["error"] == "invalid_grant", again.body
    revoked = portal.call(b, "/userinfo",
                          headers={"Authorization": f"Bearer {fresh.json['access_token']}"})
    assert revoked.status == 401, revoked.body
    # The session made on A is B's too: a silent request on B gets a code.
    silent = _authorize(browser, b, verifiers, prompt="none")
    assert "code" in silent.query(), silent.location
    # Logout on B ends the session on A.
    out = browser.call(b, "/end-session", query={"id_token_hint": tokens.json["id_token"]})
    assert out.status == 200 and b'id="signed-out"' in out.body, out.body
    after = _authorize(browser, a, verifiers, prompt="none")
    assert after.query().get("error") == "login_required", after.location


def _screens(browser: Browser, first: str, second: str, location: str) -> Answer:
    """Follow the service's own redirects and forms, every page from one instance and
    every form posted to the other (a load balancer's worst case)."""
    r = browser.call(first, location)
    while r.status == 302 and r.location.startswith("/"):
        r = browser.call(first, r.location)
    while r.status == 200:
        match = _CSRF.search(r.body)
        assert match, r.body
        if b'id="login-form"' in r.body:
            form = {"id_number": CITIZEN, "password": PASSWORD}
            path = "/login"
        else:
            assert b'id="consent-form"' in r.body, r.body
            form, path = {"decision": "approve"}, "/consent"
        req = re.search(rb'name="req" value="([^"]+)"', r.body)
        assert req
        r = browser.call(second, path, form={"csrf_token": match.group(1).decode(),
                                             "req": req.group(1).decode(), **form})
        while r.status == 302 and r.location.startswith("/"):
            r = browser.call(first, r.location)
    return r


def test_login_and_consent_screens_cross_instances(instances: Instances) -> None:
    a, b = instances.a, instances.b
    browser, portal = Browser(), Browser()
    verifier, challenge = make_pkce()
    query = urllib.parse.urlencode({
        "client_id": HCM, "redirect_uri": HCM_REDIRECT, "response_type": "code",
        "scope": "openid profile", "state": "st", "nonce": "n-3",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    # Pages from A, the login and consent forms posted to B (with A's CSRF tokens).
    r = _screens(browser, a, b, "/authorize?" + query)
    assert r.status == 302 and r.location.startswith(HCM_REDIRECT), r.body
    tokens = portal.call(b, "/token", headers=_basic(HCM, HCM_SECRET), form={
        "grant_type": "authorization_code", "code": r.query()["code"],
        "redirect_uri": HCM_REDIRECT, "code_verifier": verifier})
    assert tokens.status == 200, tokens.body


def test_a_client_registered_on_one_instance_is_known_to_the_other(
        instances: Instances) -> None:
    portal = Browser()
    made = portal.call(instances.a, "/register", body={
        "redirect_uris": ["https://portal.example/cb"], "client_name": "Cổng thử"})
    assert made.status == 201, made.body
    client_id = made.json["client_id"]
    found = portal.call(instances.b, "/register/" + client_id, headers={
        "Authorization": "Bearer " + made.json["registration_access_token"]})
    assert found.status == 200 and found.json["client_id"] == client_id, found.body
    _, challenge = make_pkce()
    r = portal.call(instances.b, "/authorize", query={
        "client_id": client_id, "redirect_uri": "https://portal.example/cb",
        "response_type": "code", "scope": "openid", "code_challenge": challenge,
        "code_challenge_method": "S256"})
    assert r.status == 302 and r.location.startswith("/login"), r.body


def _assertion() -> dict[str, str]:
    return {"client_id": FAPI_ID,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": make_client_assertion(FAPI_ID, ISSUER, client_key())}


def test_pushed_request_and_dpop_nonce_cross_instances(instances: Instances) -> None:
    a, b = instances.a, instances.b
    browser, portal, key = Browser(), Browser(), DpopKey()
    verifier, challenge = make_pkce()
    request = {"client_id": FAPI_ID, "redirect_uri": FAPI_REDIRECT, "response_type": "code",
               "scope": "openid profile", "state": "st", "nonce": "n-2",
               "code_challenge": challenge, "code_challenge_method": "S256"}
    # A asks for a DPoP nonce (RFC 9449 §8); the proofs name the issuer's URL, not A's.
    first = portal.call(a, "/par", form={**request, **_assertion()},
                        headers={"DPoP": key.proof("POST", ISSUER + "/par")})
    assert first.status == 400 and first.json["error"] == "use_dpop_nonce", first.body
    nonce = first.headers["dpop-nonce"]
    pushed = portal.call(a, "/par", form={**request, **_assertion()},
                         headers={"DPoP": key.proof("POST", ISSUER + "/par", nonce=nonce)})
    assert pushed.status == 201 and pushed.json["request_uri"].startswith(URN), pushed.body
    # The pushed request is authorized on B...
    r = browser.call(b, "/authorize", query={
        "client_id": FAPI_ID, "request_uri": pushed.json["request_uri"]},
        headers={"X-Eid-Test-Identity": CITIZEN})
    assert r.status == 302 and "code" in r.query(), r.body
    # ...and its code redeemed on B with the nonce A gave.
    tokens = portal.call(b, "/token", form={
        "grant_type": "authorization_code", "code": r.query()["code"],
        "redirect_uri": FAPI_REDIRECT, "code_verifier": verifier, **_assertion()},
        headers={"DPoP": key.proof("POST", ISSUER + "/token", nonce=nonce)})
    assert tokens.status == 200 and tokens.json["token_type"] == "DPoP", tokens.body
    access = tokens.json["access_token"]
    info = portal.call(a, "/userinfo", headers={
        "Authorization": f"DPoP {access}",
        "DPoP": key.proof("GET", ISSUER + "/userinfo", access_token=access, nonce=nonce)})
    assert info.status == 200, info.body
    # The proof and the client assertion are single-use on every instance (RFC 9449 §11.1,
    # RFC 7523 §3): replayed on B, each is refused.
    proof = key.proof("GET", ISSUER + "/userinfo", access_token=access, nonce=nonce)
    headers = {"Authorization": f"DPoP {access}", "DPoP": proof}
    assert portal.call(a, "/userinfo", headers=headers).status == 200
    replayed = portal.call(b, "/userinfo", headers=headers)
    assert replayed.status == 401 and "invalid_dpop_proof" in replayed.headers.get(
        "www-authenticate", ""), replayed.headers
    assertion = _assertion()
    form = {"token": access, **assertion}
    assert portal.call(a, "/introspect", form=form).json["active"] is True
    assert portal.call(b, "/introspect", form=form).json["error"] == "invalid_client"

