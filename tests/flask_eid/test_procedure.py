"""Flask-Eid passing the procedure of a login (RFC 9396 ``vn_procedure``), and
``login_required(procedure=...)`` stepping up to a login for that procedure."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.signing import SigningKey
from flask_eid import EidLogin, current_citizen, login_required
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider

REDIRECT = "http://127.0.0.1:5001/auth/callback"


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    p = FakeProvider(signing_keys["ec-p256"])
    p.now = time.time()
    return p


@pytest.fixture
def app(provider: FakeProvider) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret-key-0123456789", EID_ISSUER=ISSUER,
                      EID_CLIENT_ID=CLIENT_ID, EID_CLIENT_SECRET=SECRET,
                      EID_REDIRECT_URI=REDIRECT)
    EidLogin(app, http=provider)

    @app.get("/ct01")
    @login_required(acr="LoA1", procedure="ct01")
    def ct01() -> str:
        citizen = current_citizen()
        return f"ct01 for {citizen.procedure if citizen else None}"

    @app.get("/khai-sinh")
    @login_required(procedure="khai-sinh")
    def khai_sinh() -> str:
        return "khai-sinh ok"

    return app


def _through_provider(client: FlaskClient, provider: FakeProvider, login: str) -> Any:
    resp = client.get(login)
    assert resp.status_code == 302
    url = resp.headers["Location"]
    params = provider.authorize(url)
    return url, client.get("/auth/callback?" + urllib.parse.urlencode(params))


def _details(url: str) -> Any:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    return json.loads(query["authorization_details"]) if "authorization_details" in query \
        else None


def test_a_view_for_a_procedure_logs_in_for_it(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get("/ct01")
    assert resp.status_code == 302 and "procedure=ct01" in resp.headers["Location"]
    url, done = _through_provider(client, provider, resp.headers["Location"])
    assert _details(url)[0]["procedure"] == "ct01"
    assert done.headers["Location"] == "/ct01"
    assert client.get("/ct01").text == "ct01 for ct01"


def test_another_procedure_steps_up_to_a_login_for_it(app: Flask, provider: FakeProvider
                                                      ) -> None:
    client = app.test_client()
    _through_provider(client, provider, client.get("/ct01").headers["Location"])
    resp = client.get("/khai-sinh")
    assert resp.status_code == 302 and "procedure=khai-sinh" in resp.headers["Location"]
    url, _ = _through_provider(client, provider, resp.headers["Location"])
    assert _details(url)[0]["procedure"] == "khai-sinh"
    assert client.get("/khai-sinh").text == "khai-sinh ok"


def test_the_login_route_takes_a_procedure(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    url, _ = _through_provider(client, provider, "/auth/login?procedure=khai-sinh")
    assert _details(url)[0]["procedure"] == "khai-sinh"
    plain, _ = _through_provider(client, provider, "/auth/login")
    assert _details(plain) is None


@pytest.mark.parametrize("bad", ["CT01", "ct 01", "ct01\n", "x" * 65, "ct01/../x", "đ"])
def test_a_malformed_procedure_is_refused_before_the_provider(app: Flask, bad: str) -> None:
    resp = app.test_client().get("/auth/login", query_string={"procedure": bad})
    assert resp.status_code == 400 and "bad_procedure" in resp.text


def test_a_login_the_provider_did_not_grant_for_the_procedure_fails(
        app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    provider.granted_details = []
    _, resp = _through_provider(client, provider, "/auth/login?procedure=ct01")
    assert resp.status_code == 400 and "procedure_not_granted" in resp.text
    assert client.get("/ct01").status_code == 302  # nobody signed in
