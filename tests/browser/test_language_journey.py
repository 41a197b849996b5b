"""The language a citizen chose follows them: English at the portal, English at the login
service's login and consent screens (``ui_locales``, OIDC Core §3.1.2.1), and back."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Shot, Stack
from tests.browser.test_portal_journey import HUNG, HUNG_PASSWORD, log_in


def test_english_at_the_portal_gives_english_login_and_consent(page: Any, shot: Shot,
                                                               stack: Stack) -> None:
    page.goto(stack.portal + "/lang/en?next=/")
    page.click("#open-ct01")
    page.wait_for_selector("form#login-form")
    assert page.url.startswith(stack.issuer)
    assert page.get_attribute("html", "lang") == "en"
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.wait_for_selector("form#consent-form")
    shot("consent-en")
    assert page.get_attribute("html", "lang") == "en"
    assert "Household" in (page.text_content("ul#consent-items") or "")
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")
    assert page.get_attribute("html", "lang") == "en"  # back at the portal, still English
