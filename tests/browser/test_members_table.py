"""CT01 item 11 in a real browser: rows added and removed with JavaScript and without,
one card per member at 390 px, and the page never scrolls sideways there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Shot, Stack
from tests.browser.test_portal_journey import HUNG, HUNG_PASSWORD, log_in


def _open_ct01(page: Any, shot: Shot, stack: Stack) -> None:
    page.goto(stack.portal + "/procedures/ct01")
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")


def _names(page: Any) -> list[str]:
    inputs = page.locator("input[name$='].full_name']")
    return [inputs.nth(i).input_value() for i in range(inputs.count())]


def _scrolls_sideways(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_add_and_remove_in_the_page_at_390_px(page: Any, shot: Shot, stack: Stack) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _open_ct01(page, shot, stack)
    assert _names(page) == []
    page.select_option("select[name='members.pick']", label="Trần Thị Hoà · Vợ/chồng")
    page.click("button.eid-add")
    page.click("button.eid-blank")
    page.fill("input[name='members[1].full_name']", "Người Thuê Nhà")
    assert _names(page) == ["Trần Thị Hoà", "Người Thuê Nhà"]
    assert page.url.endswith("/procedures/ct01")  # in the page: no round trip
    first = page.locator("input[name='members[0].full_name']")
    assert first.get_attribute("aria-label") == "Dòng 1: Họ, chữ đệm và tên"
    shot("members-390")
    assert not _scrolls_sideways(page)
    cards = page.locator(".eid-cards tbody tr")
    box0, box1 = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert box1["y"] >= box0["y"] + box0["height"]  # one card under the other
    page.click("button.eid-remove >> nth=0")
    assert _names(page) == ["Người Thuê Nhà"]
    assert page.locator("input[name='members[0].full_name']").get_attribute(
        "aria-label") == "Dòng 1: Họ, chữ đệm và tên"  # renumbered


@pytest.fixture
def no_js_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="vi-VN", java_script_enabled=False,
                                   viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_add_and_remove_without_javascript(no_js_page: Any, shot: Shot, stack: Stack) -> None:
    page = no_js_page
    _open_ct01(page, shot, stack)
    page.fill("input[name=request]", "Đăng ký tạm trú")
    page.select_option("select[name='members.pick']", label="Trần Thị Hoà · Vợ/chồng")
    page.click("button.eid-add")
    page.wait_for_selector("input[name='members[0].full_name']")
    assert _names(page) == ["Trần Thị Hoà"]
    assert page.input_value("input[name=request]") == "Đăng ký tạm trú"  # kept
    page.click("button.eid-remove")
    page.wait_for_selector(".eid-empty")
    assert _names(page) == []
    assert not _scrolls_sideways(page)
