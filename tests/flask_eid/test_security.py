"""Attacks on Flask-Eid's routes: open redirects, logout CSRF, replays, fixation, mix-up."""

from __future__ import annotations

import re
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from freezegun import freeze_time

from eid.signing import SigningKey, sign_token
from eid.verify import BACKCHANNEL_LOGOUT_EVENT
from flask_eid import CSRF_FIELD, csrf_token
from tests.flask_eid.test_extension import app, provider, sign_in
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, FakeProvider

__all__ = ["app", "provider"]  # the fixtures, shared with test_extension


def logout_token(key: SigningKey, **over: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 120, "jti": "jti-1",
              "sid": "provider-sid-1", "events": {BACKCHANNEL_LOGOUT_EVENT: {}}, **over}
    return sign_token({k: v for k, v in claims.items() if v is not None}, key, typ="logout+jwt")


@pytest.fixture
def portal(app: Flask) -> Flask:
    @app.get("/form")
    def form() -> str:  # a portal page with the logout form
        return render_template_string(
            '<input name="eid_csrf_token" value="{{ eid_csrf_token() }}">')

    return app


def page_token(client: FlaskClient) -> str:
    """The token the portal's page rendered into its logout form."""
    match = re.search(r'value="([^"]+)"', client.get("/form").text)
    assert match is not None
    return match.group(1)


# --- next= --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target",
    ["/\t/evil.test", "/\n/evil.test", "/%5Cevil.test", "/%2F/evil.test", "/%252F/evil.test",
     "/\u2028/evil.test", "/x\r\nSet-Cookie: a=1", "http://user@evil.test", "\\\\evil.test"])
def test_next_with_tricks_falls_back_to_the_home_page(target: str, app: Flask,
                                                      provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get("/auth/login?" + urllib.parse.urlencode({"next": target}))
    params = provider.authorize(resp.headers["Location"])
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(params))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/ct01?x=1#frag", "/th%E1%BB%A7-t%E1%BB%A5c?b=%C4%91"])
def test_next_to_a_same_site_path_is_kept(target: str, app: Flask,
                                          provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get("/auth/login?" + urllib.parse.urlencode({"next": target}))
    params = provider.authorize(resp.headers["Location"])
    assert client.get("/auth/callback?" + urllib.parse.urlencode(params)
                      ).headers["Location"] == target


def test_the_way_back_from_a_protected_page_is_its_encoded_url(app: Flask) -> None:
    resp = app.test_client().get("/basic?q=a%20b")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.headers["Location"]).query))
    assert query["next"] == "/basic?q=a%20b"


# --- logout CSRF (issue 10 item 10) -----------------------------------------------------------
@pytest.mark.parametrize("form", [{}, {CSRF_FIELD: ""}, {CSRF_FIELD: "forged"},
                                  {"csrf_token": "x"}])
def test_logout_without_the_pages_token_is_refused(form: dict[str, str], portal: Flask,
                                                   provider: FakeProvider) -> None:
    client = portal.test_client()
    sign_in(client, provider)
    page_token(client)  # the portal rendered a logout form
    resp = client.post("/auth/logout", data=form)
    assert resp.status_code == 403 and "csrf_token_invalid" in resp.text
    assert client.get("/").text == "hello pairwise-1 LoA2"  # still signed in
    assert not provider.revoked


def test_logout_with_the_pages_token_signs_out(portal: Flask, provider: FakeProvider) -> None:
    client = portal.test_client()
    sign_in(client, provider)
    resp = client.post("/auth/logout", data={CSRF_FIELD: page_token(client)})
    assert resp.status_code == 302 and resp.headers["Location"].startswith(ISSUER + "/logout")
    assert client.get("/").text == "anonymous"


def test_another_browsers_token_does_not_log_this_one_out(portal: Flask,
                                                          provider: FakeProvider) -> None:
    victim, attacker = portal.test_client(), portal.test_client()
    sign_in(victim, provider)
    page_token(victim)
    resp = victim.post("/auth/logout", data={CSRF_FIELD: page_token(attacker)})
    assert resp.status_code == 403


def test_the_token_seen_before_sign_in_is_renewed_by_it(portal: Flask,
                                                        provider: FakeProvider) -> None:
    client = portal.test_client()
    before = page_token(client)  # known to whoever planted this session cookie
    sign_in(client, provider)
    assert client.post("/auth/logout", data={CSRF_FIELD: before}).status_code == 403
    after = page_token(client)
    assert after != before
    assert client.post("/auth/logout", data={CSRF_FIELD: after}).status_code == 302


def test_csrf_token_is_the_template_global(portal: Flask) -> None:
    with portal.test_request_context():
        assert render_template_string("{{ eid_csrf_token() }}") == csrf_token()


# --- callback replay, state mix-up, session fixation ---------------------------------------
def test_a_replayed_callback_signs_nobody_in(app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    resp = client.get(client.get("/basic").headers["Location"])
    callback = "/auth/callback?" + urllib.parse.urlencode(
        provider.authorize(resp.headers["Location"]))
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 400  # the pending login is used up
    attacker = app.test_client()  # the URL leaked (history, logs): another browser
    resp = attacker.get(callback)
    assert resp.status_code == 400 and "no_pending_login" in resp.text
    assert attacker.get("/").text == "anonymous"


def test_a_callback_for_an_earlier_login_is_refused(app: Flask, provider: FakeProvider) -> None:
    # Two logins started in one browser: only the latest pending one may complete.
    client = app.test_client()
    first = client.get("/auth/login?next=/a").headers["Location"]
    second = client.get("/auth/login?next=/b").headers["Location"]
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(provider.authorize(first)))
    assert resp.status_code == 400 and "state_mismatch" in resp.text
    assert client.get("/").text == "anonymous"
    del second


def test_a_callback_naming_another_issuer_is_refused(app: Flask,
                                                     provider: FakeProvider) -> None:
    client = app.test_client()
    params = provider.authorize(client.get("/auth/login").headers["Location"])
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(
        {**params, "iss": "https://evil.test"}))  # RFC 9207 mix-up defence
    assert resp.status_code == 400
    assert client.get("/").text == "anonymous"


def test_a_planted_session_cookie_is_not_signed_in_by_the_victims_login(
        app: Flask, provider: FakeProvider) -> None:
    attacker = app.test_client()
    attacker.get("/auth/login")  # a pending login in the attacker's session cookie
    cookie = attacker.get_cookie("session")
    assert cookie is not None
    victim = app.test_client()
    victim.set_cookie("session", cookie.value)  # fixed by the attacker
    resp = sign_in(victim, provider)
    assert resp.status_code == 302
    assert victim.get("/").text == "hello pairwise-1 LoA2"
    assert attacker.get("/").text == "anonymous"


def test_signing_in_again_ends_the_previous_server_side_session(
        app: Flask, provider: FakeProvider) -> None:
    client = app.test_client()
    sign_in(client, provider)
    old = client.get_cookie("session")
    assert old is not None
    again = provider.authorize(client.get("/auth/login").headers["Location"])
    assert client.get("/auth/callback?" + urllib.parse.urlencode(again)).status_code == 302
    stale = app.test_client()
    stale.set_cookie("session", old.value)
    assert stale.get("/").text == "anonymous"


def test_the_default_error_page_carries_security_headers(app: Flask) -> None:
    resp = app.test_client().get("/auth/callback?code=secret-code&state=x")
    assert resp.status_code == 400
    assert resp.headers["Referrer-Policy"] == "no-referrer"  # the URL holds a code
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


# --- back-channel logout replay (Back-Channel Logout 1.0 §2.6) -----------------------------
@pytest.mark.parametrize("exp_after", [None, 86_400])
def test_a_logout_token_replayed_after_the_cache_expired_is_refused(
        exp_after: int | None, app: Flask, provider: FakeProvider,
        signing_keys: dict[str, SigningKey]) -> None:
    with freeze_time(datetime.now(UTC)) as clock:
        provider.now = time.time()
        client, backchannel = app.test_client(), app.test_client()
        sign_in(client, provider)
        now = int(time.time())
        token = logout_token(signing_keys["ec-p256"], iat=now,
                             exp=None if exp_after is None else now + exp_after)
        first = backchannel.post("/auth/backchannel-logout", data={"logout_token": token})
        assert first.status_code == (400 if exp_after is None else 200)  # §2.4: exp required
        clock.tick(11 * 60)
        provider.now = time.time()
        provider.id_claims = {"sid": "provider-sid-1"}  # the same provider session id,
        again = provider.authorize(client.get("/auth/login").headers["Location"])
        client.get("/auth/callback?" + urllib.parse.urlencode(again))  # a new local session
        again = backchannel.post("/auth/backchannel-logout", data={"logout_token": token})
        assert again.status_code == 400
        assert client.get("/").text == "hello pairwise-1 LoA2"


def test_a_logout_token_is_refused_as_long_as_it_could_be_accepted(
        app: Flask, provider: FakeProvider, signing_keys: dict[str, SigningKey]) -> None:
    with freeze_time(datetime.now(UTC)) as clock:
        backchannel = app.test_client()
        token = logout_token(signing_keys["ec-p256"], exp=int(time.time()) + 86_400)
        assert backchannel.post("/auth/backchannel-logout",
                                data={"logout_token": token}).status_code == 200
        for _ in range(4):  # through the whole window the verifier accepts it in
            clock.tick(60)
            assert backchannel.post("/auth/backchannel-logout",
                                    data={"logout_token": token}).status_code == 400
