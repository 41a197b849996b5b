"""The portal's pages for citizens and assistive technology: plain levels, tied errors, an icon."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.oidc.fake_provider import FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in  # noqa: F401 - fixtures

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_signed_in_level_is_named_as_citizens_say_it(
        app: Flask, provider: FakeProvider, registry: Any) -> None:  # noqa: F811
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    page = client.get("/procedures/ct01").text
    header = page.split("<header>")[1].split("</header>")[0]
    assert "mức độ 2" in header and "LoA" not in header
    client.get("/lang/en?next=/")
    assert "level 2" in client.get("/").text.split("</header>")[0]


def test_the_procedure_list_shows_no_internal_level_names(app: Flask) -> None:  # noqa: F811
    page = app.test_client().get("/").text
    assert "LoA" not in page and page.count("mức độ") == 3


def test_missing_fields_are_announced_by_label_and_tied_to_their_inputs(
        app: Flask, provider: FakeProvider, registry: Any) -> None:  # noqa: F811
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    token = _CSRF.search(client.get("/procedures/ct01").text).group(1)  # type: ignore[union-attr]
    page = client.post("/procedures/ct01", data={"csrf_token": token}).text
    message = re.search(r'<div class="error" id="missing" role="alert">(.*?)</div>', page)
    assert message, "no announced message"
    assert "Kính gửi" in message.group(1) and "receiving_office" not in message.group(1)
    office = re.search(r'<input [^>]*name="receiving_office"[^>]*>', page).group(0)  # type: ignore[union-attr]
    assert 'aria-invalid="true"' in office and 'aria-describedby="missing"' in office
    full_name = re.search(r'<input [^>]*name="full_name"[^>]*>', page).group(0)  # type: ignore[union-attr]
    assert "aria-invalid" not in full_name  # verified and present: not in error


def test_the_favicon_is_a_small_icon(app: Flask) -> None:  # noqa: F811
    resp = app.test_client().get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert resp.data[:4] == b"\x00\x00\x01\x00" and len(resp.data) < 10_000  # an ICO file


def test_an_unknown_page_is_the_portals_own_page_in_the_chosen_language(
        app: Flask) -> None:  # noqa: F811
    client = app.test_client()
    resp = client.get("/procedures/no-such-procedure")
    assert resp.status_code == 404
    assert '<html lang="vi">' in resp.text and "Không tìm thấy trang này" in resp.text
    assert '<a href="/">' in resp.text  # the way home
    client.get("/lang/en?next=/")
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert '<html lang="en">' in resp.text and "This page does not exist" in resp.text


def test_a_wrong_method_keeps_its_allow_header(app: Flask) -> None:  # noqa: F811
    resp = app.test_client().delete("/")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
