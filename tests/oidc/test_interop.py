"""Interop: our relying party against an independent provider, node's ``oidc-provider``.

The provider (tests/interop/provider.mjs) is installed with ``npm ci`` from a
pinned lockfile and started on a free loopback port. The test drives its
development login and consent forms like a browser would, and the relying
party does the rest: discovery, code flow with PKCE, ID-token verification
(ES256, the fixture key) and userinfo.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eid.errors import AccessDenied
from eid.oidc import RelyingParty
from tests.servers import INTEROP, free_port, interop_node, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "interop-portal"
SECRET = "interop-portal-secret-0123456789"


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, str]]:
    node = interop_node()
    port, redirect = free_port(), f"http://127.0.0.1:{free_port()}/cb"
    env = {**os.environ, "PORT": str(port), "REDIRECT_URI": redirect,
           "EID_KEYS": str(ROOT / "fixtures" / "keys" / "test-signing-keys.json")}
    proc = subprocess.Popen([node, "provider.mjs"], cwd=INTEROP, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(issuer + "/.well-known/openid-configuration", proc, "oidc-provider")
        yield issuer, redirect
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Just enough of a browser: cookies, forms, redirects followed by hand."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def go(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            resp = self.opener.open(url, data=data, timeout=10)
            return resp.status, resp.geturl(), resp.read().decode()
        except urllib.error.HTTPError as err:
            location = err.headers.get("Location", "")
            return err.code, urllib.parse.urljoin(url, location), err.read().decode()

    def until(self, url: str, stop: str, form: dict[str, str] | None = None) -> tuple[str, str]:
        """Follow redirects until one points at ``stop``; returns (url, last page)."""
        status, target, body = self.go(url, form)
        while status in (302, 303) and not target.startswith(stop):
            status, target, body = self.go(target)
        return target, body


def _form_action(page: str, base: str) -> str:
    match = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert match, page[:500]
    return urllib.parse.urljoin(base, html.unescape(match.group(1)))


def _login(browser: Browser, url: str, redirect: str, issuer: str, *, abort: bool = False
           ) -> dict[str, str]:
    target, page = browser.until(url, redirect)
    target, page = browser.until(_form_action(page, issuer), redirect,
                                 {"prompt": "login", "login": "citizen-074078000101",
                                  "password": "any"})
    if not target.startswith(redirect):  # consent
        if abort:
            abort_link = re.search(r'href="([^"]*/abort)"', page)
            assert abort_link, page[:500]
            target, _ = browser.until(urllib.parse.urljoin(issuer, abort_link.group(1)), redirect)
        else:
            target, _ = browser.until(_form_action(page, issuer), redirect,
                                      {"prompt": "consent"})
    assert target.startswith(redirect), target
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))


def _rp(issuer: str, redirect: str, **kw: Any) -> RelyingParty:
    args: dict[str, Any] = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": SECRET,
                            "redirect_uri": redirect, "scopes": ("openid", "profile")}
    return RelyingParty(**{**args, **kw})


def test_code_flow_with_pkce_against_oidc_provider(provider: tuple[str, str]) -> None:
    issuer, redirect = provider
    rp = _rp(issuer, redirect)
    url, pending = rp.start_login()
    params = _login(Browser(), url, redirect, issuer)
    assert params["iss"] == issuer  # oidc-provider sends RFC 9207's iss
    result = rp.complete_login(params, pending)
    assert result.subject == "citizen-074078000101"
    assert result.id_token_claims["nonce"] == pending.nonce
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
    assert result.claims["birthdate"] == "1978-03-12"


def test_denied_consent_comes_back_as_access_denied(provider: tuple[str, str]) -> None:
    issuer, redirect = provider
    rp = _rp(issuer, redirect)
    url, pending = rp.start_login()
    params = _login(Browser(), url, redirect, issuer, abort=True)
    with pytest.raises(AccessDenied):
        rp.complete_login(params, pending)


def test_dpop_bound_tokens_against_oidc_provider(provider: tuple[str, str]) -> None:
    # RFC 9449: this client is registered for DPoP-bound access tokens only.
    issuer, redirect = provider
    rp = _rp(issuer, redirect, client_id="interop-portal-dpop", dpop=True)
    url, pending = rp.start_login()
    result = rp.complete_login(_login(Browser(), url, redirect, issuer), pending)
    assert result.tokens.token_type == "DPoP"
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"  # userinfo accepted the DPoP proof


def test_without_dpop_a_dpop_only_client_is_refused(provider: tuple[str, str]) -> None:
    from eid.errors import OAuthError

    issuer, redirect = provider
    rp = _rp(issuer, redirect, client_id="interop-portal-dpop")
    url, pending = rp.start_login()
    with pytest.raises(OAuthError):
        rp.complete_login(_login(Browser(), url, redirect, issuer), pending)


def test_private_key_jwt_against_oidc_provider(provider: tuple[str, str]) -> None:
    # OIDC Core §9: the portal proves itself with a signed assertion, not a secret.
    from eid.signing import load_signing_keys

    issuer, redirect = provider
    key = load_signing_keys(ROOT / "fixtures" / "keys" / "test-signing-keys.json")["ec-p256-b"]
    rp = RelyingParty(issuer=issuer, client_id="interop-portal-pkjwt", private_key=key,
                      redirect_uri=redirect, scopes=("openid", "profile"))
    url, pending = rp.start_login()
    result = rp.complete_login(_login(Browser(), url, redirect, issuer), pending)
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
