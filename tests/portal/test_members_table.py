"""CT01 item 11, the household members changing together, without JavaScript.

The table starts from what the declarant chooses (empty; the declarant is not a
candidate), rows are added from the household or typed, and removed, by submit
buttons the portal answers with the page changed (not a filing); what the citizen
typed elsewhere stays; every input is named by its row and column.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.oidc.fake_provider import FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in

__all__ = ["app", "provider", "registry"]


@pytest.fixture
def client(app: Flask, provider: FakeProvider, registry: Any) -> FlaskClient:
    c = app.test_client()
    sign_in(c, provider, registry, "/procedures/ct01")
    return c


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _post(client: FlaskClient, data: dict[str, str]) -> Any:
    page = client.get("/procedures/ct01").text
    return client.post("/procedures/ct01", data={"csrf_token": _token(page), **data})


def _row_names(page: str) -> list[str]:
    return re.findall(r'name="members\[\d+\]\.full_name" value="([^"]*)"', page)


def test_the_table_starts_empty_and_offers_the_others(client: FlaskClient) -> None:
    page = client.get("/procedures/ct01").text
    assert _row_names(page) == []
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', page)
    assert len(options) == 5 and not any("Nguyễn Văn Hùng" in o for o in options)  # not himself


def test_add_from_the_household_keeps_what_was_typed(client: FlaskClient) -> None:
    resp = _post(client, {"eid-action": "members:add", "members.pick": "1",
                          "request": "Đăng ký tạm trú"})
    assert resp.status_code == 200  # the page again, not a filing
    assert _row_names(resp.text) == ["Trần Thị Hoà"]
    assert 'name="request" value="Đăng ký tạm trú"' in resp.text
    assert 'aria-label="Dòng 1: Họ, chữ đệm và tên"' in resp.text


def test_add_a_blank_row_and_remove_one(client: FlaskClient) -> None:
    rows = {"members[0].full_name": "Trần Thị Hoà", "members[1].full_name": "Nguyễn Gia Bảo"}
    blank = _post(client, {**rows, "eid-action": "members:blank"})
    assert _row_names(blank.text) == ["Trần Thị Hoà", "Nguyễn Gia Bảo", ""]
    removed = _post(client, {**rows, "eid-action": "members:remove:0"})
    assert _row_names(removed.text) == ["Nguyễn Gia Bảo"]
    assert 'aria-label="Dòng 1: Ngày, tháng, năm sinh"' in removed.text  # renumbered


@pytest.mark.parametrize("action", [
    "members:remove:99", "members:remove:x", "members:add", "members:frobnicate", "other:add",
    "members:" + "9" * 500,
])
@pytest.mark.parametrize("pick", ["", "abc", "99", "-1"])
def test_hostile_actions_change_nothing_and_file_nothing(client: FlaskClient, app: Flask,
                                                        action: str, pick: str) -> None:
    resp = _post(client, {"members[0].full_name": "Trần Thị Hoà", "eid-action": action,
                          "members.pick": pick})
    assert resp.status_code == 200
    assert _row_names(resp.text) == ["Trần Thị Hoà"]
    assert app.extensions["portal"]["filings"].of("pairwise-1") == []


@pytest.mark.parametrize(("rows", "source"), [
    ({}, "user"),  # nobody changes with the declarant: the citizen's answer, nothing verified
    ({"members[0].full_name": "Trần Thị Hoà", "members[0].birth_date": "02/11/1981",
      "members[0].sex": "Nữ", "members[0].id_number": "074181000202",
      "members[0].relationship": "Vợ/chồng"}, "population_db"),  # a candidate as it was
    ({"members[0].full_name": "Người Thuê Nhà"}, "user"),  # typed in
])
def test_filing_keeps_the_chosen_rows_with_their_provenance(client: FlaskClient, app: Flask,
                                                            rows: dict[str, str],
                                                            source: str) -> None:
    resp = _post(client, {"receiving_office": "Công an phường", "request": "Tạm trú", **rows})
    assert resp.status_code == 303
    filing = app.extensions["portal"]["filings"].of("pairwise-1")[0]
    members = filing.forms["ct01"]["members"]
    assert members["source"] == source
    assert [r.get("full_name") for r in members["value"]] == \
        [v for k, v in rows.items() if k.endswith("full_name")]
