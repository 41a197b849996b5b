"""Issue 14 in a real browser: a CT01 login at the demo portal, then the citizen sees that
release, with its procedure and attributes, in "Ai đã xem dữ liệu của tôi"."""

from __future__ import annotations

from typing import Any

from eid.storage import Grant
from tests.browser.conftest import Shot, Stack
from tests.browser.test_portal_journey import HUNG, HUNG_PASSWORD, log_in

CT01_VI = "Đăng ký thay đổi thông tin cư trú (CT01)"
PORTAL_VI = "Cổng Dịch vụ công Thành phố Hồ Chí Minh (demo)"
PHONE = {"width": 390, "height": 844}


def test_a_ct01_login_shows_in_who_accessed_my_data(page: Any, shot: Shot,
                                                    stack: Stack) -> None:
    page.goto(stack.portal + "/")
    page.click("#open-ct01")
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")  # prefilled: the portal has read userinfo
    page.goto(stack.issuer + "/my-data")
    page.click("#access-link")
    page.wait_for_selector("ol#access-log")
    shot("who-accessed")
    release = page.locator("ol#access-log > li[data-action=userinfo]").first
    text = release.inner_text()
    assert PORTAL_VI in text
    if hasattr(Grant, "procedure"):
        # With Rich Authorization Requests (RFC 9396) the portal names the procedure.
        assert f"Thủ tục: {CT01_VI}" in text
    else:
        assert "Mục đích:" in text  # no procedure yet: the portal's registered purpose
    for label in ("Họ, chữ đệm và tên khai sinh", "Ngày, tháng, năm sinh", "Chủ hộ"):
        assert label in text
    assert "vn_household_head" not in text and "birthdate" not in text

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector("ol#access-log")
    shot("who-accessed-phone")
    # Readable on a 390 px phone: nothing wider than the screen, no horizontal scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("a.lang")
    page.wait_for_selector("ol#access-log")
    shot("who-accessed-en")
    assert "Who accessed my data" in page.content()
    assert "Full birth name" in page.locator("ol#access-log").inner_text()
