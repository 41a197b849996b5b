"""Attacks on the demo portal: the language switch, logout CSRF, cookies, headers, IDOR, files."""

from __future__ import annotations

import re
import stat
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.errors import StorageError
from eid.prefill import claims_for
from service.portal import create_portal_app
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in

__all__ = ["app", "provider", "registry"]  # the fixtures, shared with test_portal

OTHER = "074181000202"  # Trần Thị Hoà, level 2 (fixtures/README.md)


def _form_token(page: str, field: str) -> str:
    match = re.search(rf'name="{field}" value="([^"]+)"', page)
    assert match is not None, page
    return match.group(1)


def sign_in_as(client: FlaskClient, provider: FakeProvider, registry: Any, id_number: str,
               sub: str) -> None:
    """Sign in through /procedures/ct01 as the citizen ``id_number`` with subject ``sub``."""
    auth_url = client.get(client.get("/procedures/ct01").headers["Location"]).headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))
    provider.granted_scope = query["scope"]
    provider.userinfo_override = {
        "sub": sub, **claims_for(registry.get(id_number), query["scope"].split(), registry)}
    resp = client.get("/auth/callback?" + urllib.parse.urlencode(
        provider.authorize(auth_url, sub=sub)))
    assert resp.status_code == 302, resp.text


# --- the language switch (issue 10 items 4, 6, 7) ------------------------------------------
@pytest.mark.parametrize(
    "target",
    ["/\t/evil.test", "/\n/evil.test", "/\r/evil.test", "/\x00/evil.test", "/\x7f/evil.test",
     "/\u200b/evil.test", "/\u2028/evil.test", "/\\evil.test", "/%5Cevil.test",
     "/%2F/evil.test", "/%252F/evil.test", "//evil.test", "///evil.test",
     "https://evil.test/", "javascript:alert(1)", "//user@evil.test",
     "/x\r\nSet-Cookie: a=1", "/x%0D%0ASet-Cookie:a=1", ""])
def test_the_language_switch_stays_on_the_site(target: str, app: Flask) -> None:
    resp = app.test_client().get("/lang/en", query_string={"next": target})
    assert resp.status_code == 302  # never a 500, even with CR/LF
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/procedures/ct01?x=1#frag",
                                    "/th%E1%BB%A7-t%E1%BB%A5c?q=%C4%91"])
def test_the_language_switch_returns_to_the_page(target: str, app: Flask) -> None:
    resp = app.test_client().get("/lang/en", query_string={"next": target})
    assert resp.headers["Location"] == target


def test_the_switch_link_is_built_from_the_encoded_path(app: Flask) -> None:
    page = app.test_client().get("/").text
    link = re.search(r'href="(/lang/en\?[^"]+)"', page)
    assert link is not None
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        link.group(1).replace("&amp;", "&")).query))
    assert query == {"next": "/"}


# --- logout CSRF (item 10) ------------------------------------------------------------------
def test_the_logout_form_carries_the_token_and_a_forged_post_is_refused(
        app: Flask, provider: FakeProvider, registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    page = client.get("/").text
    token = _form_token(page, "eid_csrf_token")
    resp = client.post("/auth/logout")  # what a cross-site form sends
    assert resp.status_code == 403 and "csrf_token_invalid" in resp.text
    assert client.get("/procedures/ct01").status_code == 200  # still signed in
    resp = client.post("/auth/logout", data={"eid_csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/procedures/ct01").status_code == 302  # signed out


def test_the_filing_forms_token_is_renewed_at_sign_in(app: Flask, provider: FakeProvider,
                                                      registry: Any) -> None:
    client = app.test_client()
    client.get("/")
    with client.session_transaction() as sess:
        # Whichever key holds the token: a value known before sign-in must die with it.
        sess["eid_csrf"] = sess["portal_csrf"] = planted = "known-to-the-attacker"
    sign_in(client, provider, registry, "/procedures/ct01")
    assert client.post("/procedures/ct01", data={"csrf_token": planted}).status_code == 400
    page = client.get("/procedures/ct01").text
    assert _form_token(page, "csrf_token") != planted


# --- cookies and headers --------------------------------------------------------------------
def test_the_session_cookie_flags(app: Flask, provider: FakeProvider, registry: Any) -> None:
    client = app.test_client()
    resp = client.get("/auth/login?next=/")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("portal_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http://127.0.0.1 in tests


def test_the_session_cookie_is_secure_under_https(provider: FakeProvider, tmp_path: Path) -> None:
    app = create_portal_app({
        "SECRET_KEY": "portal-test-key-0123456789", "EID_ISSUER": ISSUER,
        "EID_CLIENT_ID": CLIENT_ID, "EID_CLIENT_SECRET": SECRET,
        "EID_PUBLIC_URL": "https://portal.example.vn",
        "FILINGS_DB": str(tmp_path / "filings.sqlite")}, http=provider)
    cookie = app.test_client().get("/auth/login?next=/").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("path", ["/", "/procedures/ct01", "/no-such-page", "/filings",
                                  "/auth/callback?code=c&state=s", "/lang/en?next=/"])
def test_every_response_carries_security_headers(path: str, app: Flask) -> None:
    resp = app.test_client().get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"


# --- filings IDOR ---------------------------------------------------------------------------
def test_another_citizens_filing_is_not_found(app: Flask, provider: FakeProvider,
                                              registry: Any) -> None:
    owner = app.test_client()
    sign_in(owner, provider, registry, "/procedures/ct01")
    page = owner.get("/procedures/ct01").text
    resp = owner.post("/procedures/ct01", data={
        "csrf_token": _form_token(page, "csrf_token"), "receiving_office": "Công an phường",
        "request": "Đăng ký tạm trú", "phone": "0912345678"})
    assert resp.status_code == 303
    receipt = resp.headers["Location"]
    assert owner.get(receipt).status_code == 200
    intruder = app.test_client()
    sign_in_as(intruder, provider, registry, OTHER, sub="pairwise-2")
    assert intruder.get("/procedures/ct01").status_code == 200  # signed in
    assert intruder.get(receipt).status_code == 404
    assert receipt.rsplit("/", 1)[1] not in intruder.get("/filings").text


# --- files (item 5) -------------------------------------------------------------------------
def _portal(instance: Path, provider: FakeProvider) -> Flask:
    return create_portal_app({
        "EID_ISSUER": ISSUER, "EID_CLIENT_ID": CLIENT_ID, "EID_CLIENT_SECRET": SECRET,
        "FILINGS_DB": str(instance / "filings.sqlite")}, http=provider)


def test_the_instance_folder_and_its_files_are_owner_only(
        tmp_path: Path, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "instance" / "portal"
    monkeypatch.setenv("EID_PORTAL_INSTANCE", str(instance))
    _portal(instance, provider)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for name in ("filings.sqlite", "portal-secret-key"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize("name", ["filings.sqlite", "portal-secret-key"])
def test_a_file_others_can_read_is_refused(name: str, tmp_path: Path, provider: FakeProvider,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EID_PORTAL_INSTANCE", str(tmp_path))
    _portal(tmp_path, provider)
    (tmp_path / name).chmod(0o644)
    with pytest.raises(StorageError) as err:
        _portal(tmp_path, provider)
    assert err.value.code == "insecure_key_file"


def test_an_unknown_filing_reference_is_not_found(app: Flask, provider: FakeProvider,
                                                  registry: Any) -> None:
    client: FlaskClient = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    for ref in ("HS-20260101-DEADBEEF", "' OR 1=1 --", "%00"):
        assert client.get("/filings/" + urllib.parse.quote(ref)).status_code == 404
