"""The README's portal-developer examples, run by an installed wheel outside the checkout.

Started by tests/package/test_wheel.py with the venv's python, from a folder outside
the checkout: ``python portal_examples.py STEP MOCK_URL MINTED_JSON``. ``MOCK_URL`` is an
``eid mock`` started with ``--redirect-uri https://portal.example.gov.vn/auth/callback``;
``MINTED_JSON`` is the output of ``eid token mint --json`` (audience ``my-portal``,
nonce ``n-1``). Prints ``ok STEP``; any failure is a traceback and exit 1.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from flask import Flask

from eid.oidc import PendingLogin, RelyingParty
from eid.prefill import load_forms, prefill, render_html, to_json
from eid.verify import TokenError, verify_id_token
from flask_eid import EidLogin, current_citizen, login_required

HUNG, PASSWORD = "074078000101", "Hung-1978!"  # fixtures/README.md: level 2
CLIENT_ID, SECRET = "eid-test-client", "eid-test-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # each redirect is followed (or not) by the caller


def verify_a_minted_token(minted: dict[str, Any]) -> None:
    """README "Verify an ID token", with the JWKS dict `eid token mint` printed."""
    claims = verify_id_token(minted["id_token"], issuer=minted["issuer"], audience="my-portal",
                             jwks=minted["jwks"], nonce="n-1", min_acr="LoA2")
    assert claims["sub"] and claims["acr"] == "LoA2", claims
    try:
        verify_id_token(minted["id_token"], issuer=minted["issuer"], audience="another-portal",
                        jwks=minted["jwks"], nonce="n-1")
    except TokenError as err:
        assert err.code == "invalid_audience", err.code
    else:
        raise AssertionError("a token for another audience was accepted")


class Browser:
    """A citizen's browser at the mock: cookies, redirects inside the mock followed."""

    def __init__(self, mock: str) -> None:
        self.mock = mock
        self.open = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _Stay()).open

    def go(self, url: str, form: dict[str, str] | None = None) -> tuple[str, str]:
        """(final URL, page) after following redirects that stay at the mock."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        while True:
            try:
                with self.open(url, data=data, timeout=10) as resp:
                    return url, resp.read().decode()
            except urllib.error.HTTPError as err:
                if err.code not in (302, 303):
                    raise
                url = urllib.parse.urljoin(url, err.headers["Location"])
                data = None
                if not url.startswith(self.mock + "/"):
                    return url, ""  # leaving the mock: the portal's callback

    def submit(self, url: str, page: str, fields: dict[str, str]) -> tuple[str, str]:
        match = CSRF.search(page)
        assert match, f"no CSRF field on {url}"
        req = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["req"][0]
        return self.go(urllib.parse.urljoin(url, urllib.parse.urlsplit(url).path),
                       {"csrf_token": match.group(1), "req": req, **fields})


def login_through_the_screens(mock: str) -> tuple[dict[str, Any], frozenset[str]]:
    """README "The same without a framework": start_login, the screens, complete_login."""
    rp = RelyingParty(issuer=mock, client_id=CLIENT_ID, client_secret=SECRET,
                      redirect_uri="http://127.0.0.1:9999/cb",
                      scopes=("openid", "profile", "household"))
    url, pending = rp.start_login(acr="LoA2", ui_locales="vi")
    kept = pending.to_dict()  # what a portal keeps server-side
    browser = Browser(mock)
    at, page = browser.go(url)
    assert 'id="login-form"' in page and "Số định danh" in page, page[:500]  # vi texts
    assert browser.go(f"{mock}/static/eid.css")[1], "the service's CSS is not served"
    at, page = browser.submit(at, page, {"id_number": HUNG, "password": PASSWORD})
    assert 'id="consent-form"' in page, page[:500]
    callback, _ = browser.submit(at, page, {"decision": "approve"})
    assert callback.startswith("http://127.0.0.1:9999/cb?"), callback
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    result = rp.complete_login(params, PendingLogin.from_dict(kept))
    assert result.acr == "LoA2" and result.claims["name"] == "Nguyễn Văn Hùng", result.claims
    return result.claims, result.tokens.scope


def prefill_from_userinfo(claims: dict[str, Any], scopes: frozenset[str]) -> None:
    """README "Prefill e-forms with provenance", portal side."""
    forms, procedures = load_forms()
    assert {"ct01", "birth_registration"} <= set(forms) and procedures, (forms, procedures)
    result = prefill(forms["ct01"], claims, scopes)
    values = [field.value for field in result.fields]
    assert "Nguyễn Văn Hùng" in values, values
    assert "Nguyễn Văn Hùng" in to_json(result)


def flask_portal(mock: str) -> None:
    """README "Add 'Log in with VNeID' to a Flask portal", through a login at the mock."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", EID_ISSUER=mock, EID_CLIENT_ID=CLIENT_ID,
                      EID_CLIENT_SECRET=SECRET, EID_PUBLIC_URL="https://portal.example.gov.vn",
                      EID_SCOPES="openid profile id_number household contact")
    EidLogin(app)
    forms, _ = load_forms()

    @app.get("/ct01")
    @login_required(acr="LoA2")
    def ct01() -> str:
        citizen = current_citizen()
        result = prefill(forms["ct01"], citizen.claims, citizen.scopes)
        return f"<form method=post>{render_html(result, forms['ct01'])}</form>"

    portal, here = app.test_client(), "https://portal.example.gov.vn"  # cookies are per host
    to_login = portal.get(f"{here}/ct01")
    assert to_login.status_code == 302, to_login.status
    to_mock = portal.get(urllib.parse.urljoin(here, to_login.location))
    assert to_mock.location.startswith(f"{mock}/authorize?"), to_mock.location
    # The mock's test header signs the citizen in without screens (README, testers).
    request = urllib.request.Request(to_mock.location, headers={"X-Eid-Test-Identity": HUNG})
    try:
        urllib.request.build_opener(_Stay()).open(request, timeout=10)
        raise AssertionError("the mock did not redirect back")
    except urllib.error.HTTPError as err:
        callback = err.headers["Location"]
    assert callback.startswith(f"{here}/auth/callback?"), callback
    back = portal.get(callback)
    assert back.status_code == 302, back.get_data(as_text=True)
    page = portal.get(f"{here}/ct01").get_data(as_text=True)
    assert "Nguyễn Văn Hùng" in page, page[:1000]


def main() -> int:
    step, mock, minted = sys.argv[1], sys.argv[2].rstrip("/"), json.loads(sys.argv[3])
    if step == "verify":
        verify_a_minted_token(minted)
    elif step == "login_and_prefill":
        prefill_from_userinfo(*login_through_the_screens(mock))
    elif step == "flask_eid":
        flask_portal(mock)
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(f"ok {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
