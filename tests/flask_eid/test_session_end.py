"""Flask-Eid: the language sent to the provider, and a citizen told why a session ended.

``ui_locales`` (OIDC Core §3.1.2.1) carries the portal's language on every login and
step-up; a session ended elsewhere (Back-Channel Logout 1.0 §2.4: by ``sid``, or by
``sub`` alone for every session of the citizen) or here is reported once by
:func:`flask_eid.session_ended`; the post-logout landing drops the provider's
parameters (a clean URL).
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from eid.signing import SigningKey, sign_token
from eid.verify import BACKCHANNEL_LOGOUT_EVENT
from flask_eid import EidLogin, current_citizen, login_required, session_ended
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    p = FakeProvider(signing_keys["ec-p256"])
    p.meta_override = {"end_session_endpoint": ISSUER + "/logout"}
    p.now = time.time()
    return p


@pytest.fixture
def app(provider: FakeProvider) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret-key-0123456789", EID_ISSUER=ISSUER,
                      EID_CLIENT_ID=CLIENT_ID, EID_CLIENT_SECRET=SECRET,
                      EID_PUBLIC_URL="http://127.0.0.1:5001",
                      EID_POST_LOGOUT_REDIRECT_URI="http://127.0.0.1:5001/auth/signed-out")
    EidLogin(app, http=provider, locale_selector=lambda: session.get("lang"))

    @app.get("/")
    def home() -> str:
        citizen = current_citizen()
        return f"{'in' if citizen else 'out'} ended={session_ended()}"

    @app.get("/lang/<code>")
    def set_lang(code: str) -> str:
        session["lang"] = code
        return "ok"

    @app.get("/level2")
    @login_required(acr="LoA2")
    def level2() -> str:
        return "level2 ok"

    return app


def _authorization_query(client: FlaskClient, path: str) -> dict[str, str]:
    resp = client.get(path)
    while resp.status_code == 302 and not resp.location.startswith(ISSUER):
        resp = client.get(resp.location)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.location).query))


def sign_in(client: FlaskClient, provider: FakeProvider, sid: str = "provider-sid-1") -> None:
    resp = client.get("/auth/login?next=/")
    provider.id_claims = {"sid": sid}
    params = provider.authorize(resp.location, acr="LoA2")
    assert client.get("/auth/callback?" + urllib.parse.urlencode(params)).status_code == 302


def _logout_token(key: SigningKey, jti: str, **claims: Any) -> str:
    now = int(time.time())
    return sign_token({"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 120,
                       "jti": jti, "events": {BACKCHANNEL_LOGOUT_EVENT: {}}, **claims},
                      key, typ="logout+jwt")


# --- ui_locales -------------------------------------------------------------------------
@pytest.mark.parametrize(("chosen", "path", "expected"), [
    ("en", "/auth/login", "en"),
    ("vi", "/auth/login", "vi"),
    ("en", "/level2", "en"),  # a step-up login carries it too
    ("en", "/auth/login?lang=vi", "vi"),  # an explicit ?lang= wins
    ("en", "/auth/login?lang=%3Cscript%3E", "en"),  # a malformed tag is dropped
])
def test_the_chosen_language_goes_to_the_provider(app: Flask, chosen: str, path: str,
                                                  expected: str) -> None:
    client = app.test_client()
    client.get(f"/lang/{chosen}")
    assert _authorization_query(client, path)["ui_locales"] == expected


def test_no_language_chosen_sends_none(app: Flask) -> None:
    assert "ui_locales" not in _authorization_query(app.test_client(), "/auth/login")


# --- sessions ended elsewhere -------------------------------------------------------------
def test_a_logout_token_with_sid_ends_that_session_and_says_so(
        app: Flask, provider: FakeProvider, signing_keys: dict[str, SigningKey]) -> None:
    client = app.test_client()
    sign_in(client, provider)
    token = _logout_token(signing_keys["ec-p256"], "j1", sid="provider-sid-1")
    assert app.test_client().post("/auth/backchannel-logout",
                                  data={"logout_token": token}).status_code == 200
    assert client.get("/").text == "out ended=provider_session_ended"
    assert client.get("/").text == "out ended=None"  # said once


def test_a_logout_token_with_only_sub_ends_every_session_of_the_citizen(
        app: Flask, provider: FakeProvider, signing_keys: dict[str, SigningKey]) -> None:
    browsers = [app.test_client() for _ in range(2)]
    for n, browser in enumerate(browsers):
        sign_in(browser, provider, sid=f"provider-sid-{n}")
    other = app.test_client()
    resp = other.get("/auth/login?next=/")
    provider.id_claims = {"sid": "someone-else"}
    other.get("/auth/callback?" + urllib.parse.urlencode(
        provider.authorize(resp.location, sub="pairwise-2")))
    token = _logout_token(signing_keys["ec-p256"], "j2", sub="pairwise-1")
    assert app.test_client().post("/auth/backchannel-logout",
                                  data={"logout_token": token}).status_code == 200
    for browser in browsers:
        assert browser.get("/").text == "out ended=access_withdrawn"
    assert other.get("/").text == "in ended=None"  # another citizen's session stays


# --- signing out here ----------------------------------------------------------------------
def test_signing_out_lands_on_a_clean_url_that_says_so(app: Flask,
                                                       provider: FakeProvider) -> None:
    client = app.test_client()
    sign_in(client, provider)
    with client.session_transaction() as sess:
        token = sess["eid_csrf"] = "token-the-page-rendered"
    resp = client.post("/auth/logout", data={"eid_csrf_token": token})
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.location).query))
    assert query["post_logout_redirect_uri"] == "http://127.0.0.1:5001/auth/signed-out"
    # The provider comes back with its parameters; the landing drops them.
    back = client.get("/auth/signed-out?iss=" + urllib.parse.quote(ISSUER) + "&state=x")
    assert back.status_code == 303 and back.location == "/"
    assert client.get("/").text == "out ended=signed_out"
