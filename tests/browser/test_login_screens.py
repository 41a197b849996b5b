"""The login service's screens in a real browser (Chromium driven by Playwright).

A portal's authorization request is built with :class:`eid.oidc.RelyingParty` for the
demo portal ``cong-dvc-hcm``; the browser follows it through the service's screens
(login, consent, "My shared data", error pages) and stops when it reaches the portal's
redirect URI: that request is recorded (``page.on("request")``) so the test sees exactly
what the service sent back, and the code is then redeemed by the test's relying party
over real HTTP, its ID token verified against the service's /jwks. Every screen is
kept as a PNG under artifacts/screens/ (``shot``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from eid.errors import OAuthError
from eid.oidc import RelyingParty
from tests.browser.conftest import Shot, Stack

CITIZEN = ("074078000101", "Hung-1978!")  # fixtures/README.md: Nguyễn Văn Hùng, level 2
UNKNOWN = "074199999999"  # well-formed, not in the fixtures
CLIENT_ID = "cong-dvc-hcm"
SECRET = "demo-hcm-portal-secret-2026"  # published in fixtures/README.md
WRONG_VI = "Số định danh cá nhân hoặc mật khẩu không đúng."
LOCKED_VI = "Tài khoản tạm thời bị khóa"


def _rp(stack: Stack, scopes: tuple[str, ...] = ("openid", "profile")) -> RelyingParty:
    return RelyingParty(issuer=stack.issuer, client_id=CLIENT_ID, client_secret=SECRET,
                        redirect_uri=stack.portal + "/auth/callback", scopes=scopes)


def _catch_callback(page: Any, stack: Stack) -> list[str]:
    """Record every request the browser makes to the portal's redirect URI.

    The service answers with a 302 to the portal, and Playwright's ``page.route`` never sees
    the hops of a redirect, so the request events are what show where the browser went. The
    running portal answers that request with an error page (the login was not started
    there, so it has no pending state and redeems nothing); the test's relying party then
    redeems the code itself.
    """
    seen: list[str] = []
    prefix = stack.portal + "/auth/callback?"
    page.on("request", lambda r: seen.append(r.url) if r.url.startswith(prefix) else None)
    return seen


def _params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _sign_in(page: Any, id_number: str, password: str) -> None:
    if page.locator("#id_number").input_value() != id_number:
        page.fill("#id_number", id_number)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def _at_callback(page: Any, stack: Stack, seen: list[str]) -> dict[str, str]:
    page.wait_for_url(stack.portal + "/auth/callback?**", wait_until="commit")
    assert len(seen) == 1 and seen[0] == page.url
    return _params(seen[0])


def test_sign_in_and_consent_land_on_the_redirect_uri_with_a_code(
        page: Any, stack: Stack, shot: Shot) -> None:
    rp = _rp(stack, ("openid", "profile", "residence"))
    url, pending = rp.start_login()
    seen = _catch_callback(page, stack)
    page.goto(url)
    assert page.url.startswith(stack.issuer + "/login?req=")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("#login-form").is_visible()
    assert "Cổng Dịch vụ công Thành phố Hồ Chí Minh" in page.inner_text("main")
    shot("login")
    _sign_in(page, *CITIZEN)
    assert page.url.startswith(stack.issuer + "/consent?req=")
    scopes = page.locator("#consent-items > li").evaluate_all(
        "items => items.map(li => li.dataset.scope)")
    assert scopes == ["openid", "profile", "residence"]
    assert "Nơi thường trú" in page.inner_text("#consent-items")
    shot("consent")
    page.click("#consent-form button[value=approve]")
    params = _at_callback(page, stack, seen)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == pending.state and params["iss"] == stack.issuer
    # The portal's back end redeems the code over HTTP; the ID token is verified on /jwks.
    result = rp.complete_login(params, pending)
    assert result.acr == "LoA2" and result.id_token_claims["amr"] == ["pwd"]
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
    assert "vn_permanent_residence" in result.userinfo


def test_denying_consent_returns_access_denied(page: Any, stack: Stack, shot: Shot) -> None:
    rp = _rp(stack)
    url, pending = rp.start_login()
    seen = _catch_callback(page, stack)
    page.goto(url)
    _sign_in(page, *CITIZEN)
    assert page.locator("#consent-form").is_visible()
    shot("consent")
    page.click("#consent-form button[value=deny]")
    params = _at_callback(page, stack, seen)
    assert params["error"] == "access_denied"
    assert params["state"] == pending.state and params["iss"] == stack.issuer
    assert "code" not in params
    with pytest.raises(OAuthError) as err:
        rp.complete_login(params, pending)
    assert err.value.code == "access_denied"


def test_five_wrong_passwords_lock_known_and_unknown_numbers_alike(
        page: Any, stack: Stack, shot: Shot) -> None:
    url, _ = _rp(stack).start_login()
    page.goto(url)
    shot("login")
    messages: dict[str, list[str]] = {}
    for id_number in (CITIZEN[0], UNKNOWN):
        messages[id_number] = []
        for attempt in range(1, 6):
            _sign_in(page, id_number, f"wrong-password-{attempt}")
            assert page.url.startswith(stack.issuer + "/login")  # still on the login screen
            messages[id_number].append(page.inner_text("#login-error"))
            if attempt == 1 and id_number == CITIZEN[0]:
                shot("error")
        if id_number == CITIZEN[0]:
            shot("lockout")
    for id_number, seen in messages.items():
        # 1st-4th: the one generic message, which never says whether the number exists.
        assert seen[:4] == [WRONG_VI] * 4, id_number
        assert LOCKED_VI in seen[4] and "15" in seen[4], id_number
    assert messages[CITIZEN[0]] == messages[UNKNOWN]
    # Locked: even the right password is refused now, with the same message.
    _sign_in(page, *CITIZEN)
    assert LOCKED_VI in page.inner_text("#login-error")
    assert page.url.startswith(stack.issuer + "/login")
    shot("lockout-right-password")


def test_english_switch(page: Any, stack: Stack, shot: Shot) -> None:
    # ui_locales=en on the authorization request.
    url, _ = _rp(stack).start_login(ui_locales="en")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("label[for=id_number]").inner_text() == "Personal identification number"
    assert page.locator("label[for=password]").inner_text() == "Password"
    assert page.locator("#login-form button[type=submit]").inner_text() == "Sign in"
    shot("login-en")
    # Vietnamese by default, then the language link (?lang=en), remembered in the session.
    url, _ = _rp(stack).start_login()
    page.context.clear_cookies()
    page.goto(url)
    assert page.locator("label[for=id_number]").inner_text() == "Số định danh cá nhân"
    shot("login-vi")
    page.click("a.lang[hreflang=en]")
    assert "lang=en" in page.url
    assert page.locator("label[for=id_number]").inner_text() == "Personal identification number"
    shot("login-switched")
    _sign_in(page, *CITIZEN)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#consent-form button[value=approve]").inner_text() == "Approve"
    assert page.locator("#consent-form button[value=deny]").inner_text() == "Deny"
    assert "Ho Chi Minh City Public Service Portal (demo)" in page.inner_text("main")
    shot("consent-en")


def test_my_shared_data_lists_the_portal_and_revoking_removes_it(
        page: Any, stack: Stack, shot: Shot) -> None:
    rp = _rp(stack, ("openid", "profile", "offline_access"))
    url, pending = rp.start_login()
    seen = _catch_callback(page, stack)
    page.goto(url)
    _sign_in(page, *CITIZEN)
    page.click("#consent-form button[value=approve]")
    result = rp.complete_login(_at_callback(page, stack, seen), pending)
    refresh_token = result.tokens.refresh_token
    assert refresh_token
    page.goto(stack.issuer + "/my-data")
    portal = page.locator(f"section.portal[data-client={CLIENT_ID}]")
    assert portal.count() == 1
    assert "Cổng Dịch vụ công Thành phố Hồ Chí Minh (demo)" in portal.inner_text()
    assert "Nguyễn Văn Hùng" in page.inner_text("main")
    shot("my-data")
    portal.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "revoked=" + CLIENT_ID in page.url
    assert page.locator("section.portal").count() == 0
    assert "Đã thu hồi sự đồng ý." in page.inner_text("main")
    assert "Bạn chưa chia sẻ thông tin với cổng nào." in page.inner_text("main")
    shot("my-data-revoked")
    # Revoking the consent revoked the portal's grant: its refresh token is dead.
    with pytest.raises(OAuthError) as err:
        rp.refresh(refresh_token, subject=result.subject)
    assert err.value.code == "invalid_grant"
    # ... and the next login asks for consent again.
    url, _ = rp.start_login()
    page.goto(url)
    assert page.url.startswith(stack.issuer + "/consent?req=")


def test_unregistered_redirect_uri_shows_an_error_page(
        page: Any, stack: Stack, shot: Shot) -> None:
    rp = RelyingParty(issuer=stack.issuer, client_id=CLIENT_ID, client_secret=SECRET,
                      redirect_uri=stack.portal + "/elsewhere")
    url, _ = rp.start_login()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(url)
    assert response is not None and response.status == 400
    assert page.url == url  # no redirect
    assert page.locator("#error-code").inner_text() == "invalid_redirect_uri"
    assert not [u for u in requests if u.startswith(stack.portal)]
    shot("error-page")
