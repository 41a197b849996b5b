"""The citizen journey in a real browser: portal, login, consent, prefilled form, receipt."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Shot, Stack

HUNG, HUNG_PASSWORD = "074078000101", "Hung-1978!"  # household A head, level 2
KHANG, KHANG_PASSWORD = "074209000303", "Khang-2009!"  # level 1


def log_in(page: Any, shot: Shot, id_number: str, password: str) -> None:
    page.wait_for_selector("form#login-form")
    shot("login")
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=password]", password)
    page.click("form#login-form [type=submit]")


def test_ct01_journey(page: Any, shot: Shot, stack: Stack) -> None:
    page.goto(stack.portal + "/")
    shot("portal")
    assert "Đăng nhập bằng tài khoản định danh điện tử (VNeID)" in page.content()
    page.click("#open-ct01")
    assert page.url.startswith(stack.issuer)  # sent to the login service
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.wait_for_selector("form#consent-form")
    shot("consent")
    assert page.locator("ul#consent-items > li[data-scope=household]").count() == 1
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")
    assert page.url == stack.portal + "/procedures/ct01"
    shot("ct01-prefilled")
    full_name = page.locator("input[name=full_name]")
    assert full_name.input_value() == "Nguyễn Văn Hùng"
    assert full_name.get_attribute("readonly") is not None  # verified, locked
    assert page.locator("input[name^='members[']").count() == 0  # item 11: the citizen chooses
    page.fill("input[name=receiving_office]", "Công an phường Thủ Dầu Một")
    page.fill("input[name=request]", "Đăng ký tạm trú cho cả hộ")
    page.click("#submit")
    page.wait_for_selector("#reference")
    shot("receipt")
    reference = page.text_content("#reference") or ""
    assert reference.startswith("HS-")
    receipt = page.content()
    assert "Cơ sở dữ liệu quốc gia về dân cư" in receipt  # provenance shown
    page.goto(stack.portal + "/filings")
    shot("filings")
    assert reference in page.content()


def test_level_two_procedure_refuses_a_level_one_account(page: Any, shot: Shot,
                                                         stack: Stack) -> None:
    page.goto(stack.portal + "/")
    page.click("#open-khai-sinh")
    log_in(page, shot, KHANG, KHANG_PASSWORD)
    page.wait_for_selector("#refusal")
    shot("refusal")
    assert page.url.startswith(stack.portal)
    assert "mức độ 2" in (page.text_content("#refusal") or "")
    assert page.locator("form#filing").count() == 0


def test_english_portal(page: Any, shot: Shot, stack: Stack) -> None:
    page.goto(stack.portal + "/lang/en?next=/")
    shot("portal-en")
    assert "Log in with your electronic identity (VNeID)" in page.content()


def test_logout_ends_both_sessions(page: Any, shot: Shot, stack: Stack) -> None:
    page.goto(stack.portal + "/procedures/ct01")
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")
    page.click("header form.inline button")  # Đăng xuất
    page.wait_for_url(lambda url: url.startswith(stack.portal + "/"))
    shot("signed-out")
    assert page.locator("#login").count() == 1  # the portal's session is over
    page.goto(stack.portal + "/procedures/ct01")
    page.wait_for_selector("form#login-form")  # and so is the login service's
    shot("login-again")
