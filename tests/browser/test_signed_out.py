"""After logging out the portal says so, on a clean URL (no ``?iss=`` or ``state``); after
the citizen revokes the portal at the login service, the portal's next page says why
the session ended."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Shot, Stack
from tests.browser.test_portal_journey import HUNG, HUNG_PASSWORD, log_in


def _signed_in(page: Any, shot: Shot, stack: Stack) -> None:
    page.goto(stack.portal + "/procedures/ct01")
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")


def test_logout_lands_on_a_clean_url_saying_signed_out(page: Any, shot: Shot,
                                                       stack: Stack) -> None:
    _signed_in(page, shot, stack)
    page.click("header form.inline button")  # Đăng xuất
    page.wait_for_selector("#session-ended")
    shot("signed-out")
    assert page.url == stack.portal + "/"
    assert page.text_content("#session-ended") == "Bạn đã đăng xuất."


def test_revoking_at_the_login_service_ends_the_portal_session(page: Any, shot: Shot,
                                                               stack: Stack) -> None:
    _signed_in(page, shot, stack)
    page.goto(stack.issuer + "/my-data")
    page.click("section.portal[data-client=cong-dvc-hcm] form button")
    page.wait_for_selector("p.notice")
    # The back-channel logout is delivered by the service's sender thread.
    page.goto(stack.portal + "/filings")
    for _ in range(50):
        if page.locator("#session-ended").count():
            break
        page.wait_for_timeout(200)
        page.goto(stack.portal + "/filings")
    shot("access-withdrawn")
    assert page.url == stack.portal + "/"
    assert "thu hồi quyền truy cập" in (page.text_content("#session-ended") or "")
