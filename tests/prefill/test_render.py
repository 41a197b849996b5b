"""JSON and HTML rendering: escaped, Vietnamese by default, locked fields readonly."""

from __future__ import annotations

import json

from eid.population.sqlite import SqliteRegistry
from eid.prefill import Form, Procedure, prefill, prefill_procedure, render_html, to_json
from eid.prefill.render import render_procedure_html

from .conftest import ALL_SCOPES, HUNG, NOW


def test_json_round_trips(registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile"], now=NOW)
    doc = json.loads(to_json(r))
    assert doc["form"] == "ct01" and doc["retrieved_at"] == "2026-11-25T09:30:00+00:00"
    assert doc["fields"][1]["value"] == "Nguyễn Văn Hùng"
    assert {"field": "id_number", "scopes": ["id_number"]} in doc["withheld"]
    assert "Nguyễn" in to_json(r)  # UTF-8 kept, not \u-escaped


def test_everything_is_escaped(forms: dict[str, Form]) -> None:
    evil = '"><script>alert(1)</script>'
    claims = {"name": evil, "vn_household_members": [{"name": evil}]}
    html = render_html(prefill(forms["ct01"], claims, ALL_SCOPES, now=NOW), forms["ct01"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&quot;&gt;" in html


def test_vietnamese_by_default_english_on_request(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile"], now=NOW)
    vi, en = render_html(r, forms["ct01"]), render_html(r, forms["ct01"], lang="en")
    assert "1. Họ, chữ đệm và tên" in vi and "1. Full name" not in vi
    assert "1. Full name" in en and "Nam" in en  # values stay Vietnamese
    assert "Chưa được chia sẻ" in vi and "consent to share “Personal identification number”" in en
    note = en.split('class="eid-note"')[1].split(">", 1)[1].split("</small>")[0]
    assert "id_number" not in note  # the label, never the scope id


def test_locked_fields_are_readonly(registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ALL_SCOPES, registry=registry, now=NOW)
    html = render_html(r, forms["ct01"])
    assert 'name="full_name" value="Nguyễn Văn Hùng" data-source="population_db"' in html
    full = html.split('name="full_name"')[1].split(">")[0]
    assert "readonly" in full
    phone = html.split('name="phone"')[1].split(">")[0]
    assert "readonly" not in phone  # contact stays editable
    request = html.split('name="request"')[1].split(">")[0]
    assert "readonly" not in request and "required" in request
    assert html.count('class="eid-box"') == 24  # citizen's and head's 12 boxes
    # CT01 item 11 starts empty: the household's other members are offered to add.
    assert 'name="members[0].full_name"' not in html
    assert html.count("<option value=") == 5 and ">Trần Thị Hoà · Vợ/chồng</option>" in html


def test_procedure_html(registry: SqliteRegistry, procedures: dict[str, Procedure]) -> None:
    chain = procedures["lien_thong_khai_sinh"]
    r = prefill_procedure(chain, registry.get(HUNG), chain.scopes, registry=registry, now=NOW)
    html = render_procedure_html(r, chain, lang="en")
    assert html.count('<section class="eid-form"') == 3 and "Chained procedure" in html
    assert json.loads(to_json(r))["forms"][2]["form"] == "tk1_ts"


def test_user_dates_show_the_paper_shape(forms: dict[str, Form]) -> None:
    r = prefill(forms["birth_registration"], {}, ["openid"], now=NOW)
    html = render_html(r, forms["birth_registration"])
    child = html.split('name="child_birth_date"')[1].split(">")[0]
    assert 'placeholder="dd/mm/yyyy"' in child and "readonly" not in child
