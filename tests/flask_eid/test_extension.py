"""Flask-Eid against the in-memory provider: login, step-up, logout, back-channel logout."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.errors import ConfigurationError
from eid.signing import SigningKey, sign_token
from eid.verify import BACKCHANNEL_LOGOUT_EVENT
from flask_eid import EidLogin, current_citizen, login_required
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider

REDIRECT = "http://127.0.0.1:5001/auth/callback"


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    p = FakeProvider(signing_keys["ec-p256"])
    p.meta_override = {"end_session_endpoint": ISSUER + "/logout"}
    return p


@pytest.fixture
def app(provider: FakeProvider) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret-key-0123456789", EID_ISSUER=ISSUER,
                      EID_CLIENT_ID=CLIENT_ID, EID_CLIENT_SECRET=SECRET,
                      EID_REDIRECT_URI=REDIRECT, EID_POST_LOGOUT_REDIRECT_URI="http://x/")
    EidLogin(app, http=provider)

    @app.get("/")
    def home() -> str:
        citizen = current_citizen()
        return f"hello {citizen.subject} {citizen.acr}" if citizen else "anonymous"

    @app.get("/basic")
    @login_required()
    def basic() -> str:
        return "basic ok"

    @app.get("/level2")
    @login_required(acr="LoA2")
    def level2() -> str:
        return "level2 ok"

    @app.post("/submit")
    @login_required()
    def submit() -> str:
        return "submitted"

    # The fake provider's clock must match the real one the extension uses.
    import time

    provider.now = time.time()
    return app


def sign_in(client: FlaskClient, provider: FakeProvider, path: str = "/basic",
            acr: str = "LoA2", sid: str | None = "provider-sid-1") -> Any:
    resp = client.get(path)
    assert resp.status_code == 302
    login = resp.headers["Location"]
    resp = client.get(login)
    assert resp.status_code == 302
    provider.id_claims = {"sid": sid} if sid else {}
    params = provider.authorize(resp.headers["Location"], acr=acr)
    return client.get("/auth/callback?" + urllib.parse.urlencode(params))


def test_login_then_the_protected_view(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    assert client.get("/").text == "anonymous"
    resp = sign_in(client, provider)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/basic"
    assert client.get("/basic").text == "basic ok"
    assert client.get("/").text == "hello pairwise-1 LoA2"


def test_session_cookie_holds_no_tokens_or_claims(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    sign_in(client, provider)
    with client.session_transaction() as sess:
        assert set(sess) == {"eid_sid"}


def test_step_up_sends_a_level_one_citizen_back_to_log_in_at_level_two(
        app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    sign_in(client, provider, path="/basic", acr="LoA1")
    resp = client.get("/level2")
    assert resp.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["Location"]).query))
    assert query == {"next": "/level2", "acr": "LoA2"}
    # The provider now answers with LoA2: access granted.
    resp = sign_in(client, provider, path="/level2", acr="LoA2")
    assert resp.headers["Location"] == "/level2"
    assert client.get("/level2").text == "level2 ok"


def test_a_weaker_token_than_requested_is_refused_clearly(app: Flask,
                                                         provider: FakeProvider) -> None:
    resp = sign_in(app.test_client(), provider, path="/level2", acr="LoA1")
    assert resp.status_code == 403
    assert "acr_too_low" in resp.text


def test_provider_error_is_shown_with_its_code(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    client.get("/basic")
    resp = client.get(client.get("/basic").headers["Location"])
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["Location"]).query))
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(
        {"error": "access_denied", "state": state["state"], "iss": ISSUER}))
    assert resp.status_code == 403
    assert "access_denied" in resp.text


def test_callback_without_a_pending_login(app: Flask) -> None:
    resp = app.test_client().get("/auth/callback?code=x&state=y")
    assert resp.status_code == 400
    assert "no_pending_login" in resp.text


def test_forged_state_is_refused(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get(client.get("/basic").headers["Location"])
    params = provider.authorize(resp.headers["Location"])
    resp = client.get("/auth/callback?" + urllib.parse.urlencode({**params, "state": "forged"}))
    assert resp.status_code == 400
    assert "state_mismatch" in resp.text


@pytest.mark.parametrize(
    "target", ["https://evil.test/", "//evil.test/x", "/\\evil", "javascript:x"])
def test_next_never_leaves_the_site(target: str, app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get("/auth/login?" + urllib.parse.urlencode({"next": target}))
    params = provider.authorize(resp.headers["Location"])
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(params))
    assert resp.headers["Location"] == "/"


def test_unauthenticated_post_is_refused_not_redirected(app: Flask) -> None:
    assert app.test_client().post("/submit").status_code == 401


def test_logout_ends_both_sessions(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    sign_in(client, provider)
    with client.session_transaction() as sess:
        sess["eid_csrf"] = "token-the-page-rendered"
    resp = client.post("/auth/logout", data={"eid_csrf_token": "token-the-page-rendered"})
    assert resp.headers["Location"].startswith(ISSUER + "/logout?")
    assert provider.revoked  # the refresh token was revoked
    assert client.get("/").text == "anonymous"


def _logout_token(key: SigningKey, **over: Any) -> str:
    import time

    claims = {"iss": ISSUER, "aud": CLIENT_ID, "iat": int(time.time()),
              "exp": int(time.time()) + 120, "jti": "jti-1",
              "sid": "provider-sid-1", "events": {BACKCHANNEL_LOGOUT_EVENT: {}}, **over}
    return sign_token(claims, key, typ="logout+jwt")


def test_backchannel_logout_ends_the_session_once(app: Flask, provider: FakeProvider,
                                                 signing_keys: dict[str, SigningKey]) -> None:
    client = app.test_client()
    sign_in(client, provider)
    token = _logout_token(signing_keys["ec-p256"])
    other = app.test_client()
    assert other.post("/auth/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert client.get("/").text == "anonymous"
    # A replayed logout token is refused.
    assert other.post("/auth/backchannel-logout",
                      data={"logout_token": token}).status_code == 400


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_bad_logout_tokens(token: str, app: Flask) -> None:
    resp = app.test_client().post("/auth/backchannel-logout", data={"logout_token": token})
    assert resp.status_code == 400


def test_logout_token_signed_by_someone_else(app: Flask, provider: FakeProvider,
                                            signing_keys: dict[str, SigningKey]) -> None:
    client = app.test_client()
    sign_in(client, provider)
    token = _logout_token(signing_keys["ed25519"])  # not in the provider's JWKS
    assert client.post("/auth/backchannel-logout",
                       data={"logout_token": token}).status_code == 400
    assert client.get("/").text != "anonymous"


@pytest.mark.parametrize("missing", ["EID_ISSUER", "EID_CLIENT_ID", "EID_CLIENT_SECRET",
                                     "SECRET_KEY"])
def test_missing_settings(missing: str, provider: FakeProvider) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k" * 32, EID_ISSUER=ISSUER, EID_CLIENT_ID=CLIENT_ID,
                      EID_CLIENT_SECRET=SECRET)
    app.config[missing] = None
    with pytest.raises(ConfigurationError):
        EidLogin(app, http=provider)


def test_unknown_acr_in_the_decorator() -> None:
    with pytest.raises(ConfigurationError):
        login_required(acr="LoA9")


def test_extra_scopes_are_requested_and_remembered(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get("/auth/login?" + urllib.parse.urlencode(
        {"scope": "household bad\x01scope", "next": "/"}))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["Location"]).query))
    assert query["scope"] == "openid profile household"
    params = provider.authorize(resp.headers["Location"])
    client.get("/auth/callback?" + urllib.parse.urlencode(params))
    with app.test_request_context():
        from flask import session

        with client.session_transaction() as sess:
            session.update(sess)
        citizen = current_citizen()
        assert citizen is not None
        assert citizen.scopes == ("household", "openid", "profile")
