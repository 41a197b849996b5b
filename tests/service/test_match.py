"""``POST /api/match``: yes/no checks for permitted fapi2 clients, releasing nothing."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from eid.errors import StorageError
from eid.population import PartialDate
from eid.population.model import Citizen
from service.views import match as match_view
from service.views.match import MATCH_LIMIT, MatchQuery, compare
from tests.service.fapi import FAPI_ID, assertion_form
from tests.service.flow import HCM, UNKNOWN_ID, Flow

HOA = "074181000202"  # Trần Thị Hoà, 1981-11-02, female (fixtures/identities.json)
HOA_DETAILS = {"full_name": "Trần Thị Hoà", "birth_date": "1981-11-02", "gender": "female"}


@pytest.fixture
def flow(test_mode_app: Flask) -> Flow:
    return Flow(test_mode_app)


def _ask(flow: Flow, client_id: str = FAPI_ID, **fields: str) -> TestResponse:
    return flow.api.post("/api/match", data={**fields, **assertion_form(flow, client_id)})


def _without_permission(flow: Flow) -> None:
    p = flow.app.extensions["eid"]
    fapi = p.clients.get(FAPI_ID)
    flow.app.extensions["eid"] = dataclasses.replace(
        p, clients=p.clients.with_clients(dataclasses.replace(fapi, match=False)))


def test_matching_details_answer_true_and_nothing_else(flow: Flow) -> None:
    r = _ask(flow, id_number=HOA, **HOA_DETAILS)
    assert r.status_code == 200 and r.json == {"match": True}
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("fields", [
    {"full_name": "Trần Thị Hoà"}, {"birth_date": "1981-11-02"}, {"gender": "female"},
    {"full_name": "tran thi hoa", "gender": "female"},
])
def test_some_of_the_details_are_enough(flow: Flow, fields: dict[str, str]) -> None:
    assert _ask(flow, id_number=HOA, **fields).json == {"match": True}


@pytest.mark.parametrize("fields", [
    {**HOA_DETAILS, "full_name": "Trần Thị Hòe"},
    {**HOA_DETAILS, "birth_date": "1981-11-03"},
    {**HOA_DETAILS, "birth_date": "1981"},  # the record knows the whole date
    {**HOA_DETAILS, "gender": "male"},
])
def test_any_differing_detail_answers_false(flow: Flow, fields: dict[str, str]) -> None:
    assert _ask(flow, id_number=HOA, **fields).json == {"match": False}


def test_unknown_and_differing_get_the_same_bytes(flow: Flow) -> None:
    unknown = _ask(flow, id_number=UNKNOWN_ID, **HOA_DETAILS)
    differs = _ask(flow, id_number=HOA, **{**HOA_DETAILS, "gender": "male"})
    assert (unknown.status_code, unknown.data) == (differs.status_code, differs.data)
    assert unknown.json == {"match": False}
    per_request = {"date", "x-request-id"}
    same_headers = {k: v for k, v in unknown.headers if k.lower() not in per_request}
    assert same_headers == {k: v for k, v in differs.headers if k.lower() not in per_request}


@pytest.mark.parametrize("fields", [
    {"birth_date": "1981-13-01"}, {"gender": "f"}, {"full_name": "!!"}, {},
])
def test_errors_are_the_same_for_a_known_and_an_unknown_number(
        flow: Flow, fields: dict[str, str]) -> None:
    known = _ask(flow, id_number=HOA, **fields)
    unknown = _ask(flow, id_number=UNKNOWN_ID, **fields)
    assert known.status_code == unknown.status_code == 400
    assert known.data == unknown.data


def test_the_same_work_is_done_whether_or_not_the_number_exists(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    # Counted, not timed: name foldings and log writes per request.
    counts: dict[str, int] = {"fold": 0, "log": 0}
    real_fold, real_log = match_view.name_key, match_view.record_release

    def fold(name: str) -> str:
        counts["fold"] += 1
        return real_fold(name)

    def log(*args: Any, **kwargs: Any) -> int:
        counts["log"] += 1
        return real_log(*args, **kwargs)

    monkeypatch.setattr(match_view, "name_key", fold)
    monkeypatch.setattr(match_view, "record_release", log)
    seen = []
    for number in (HOA, UNKNOWN_ID):
        counts.update(fold=0, log=0)
        _ask(flow, id_number=number, **{**HOA_DETAILS, "birth_date": "1990-01-01"})
        seen.append(dict(counts))
    assert seen[0] == seen[1] == {"fold": 3, "log": 1}  # parse once, compare both sides


@pytest.mark.parametrize(("fields", "why"), [
    ({"id_number": "07418100020"}, "11 digits"),
    ({"id_number": "07418100020x"}, "not digits"),
    ({"id_number": "٠٧٤١٨١٠٠٠٢٠٢"}, "Arabic-Indic digits"),
    ({"id_number": "999181000202"}, "no such province"),
    ({"id_number": ""}, "empty"),
    ({}, "absent"),
    ({"id_number": HOA}, "nothing to compare"),
    ({"id_number": HOA, "birth_date": "02/11/1981"}, "a date in another form"),
    ({"id_number": HOA, "birth_date": "1981-13-01"}, "no such month"),
    ({"id_number": HOA, "birth_date": "19811102"}, "the compact form"),
    ({"id_number": HOA, "gender": "f"}, "another gender spelling"),
    ({"id_number": HOA, "full_name": "x" * 129}, "too long a name"),
    ({"id_number": HOA, "full_name": "123 !!"}, "no letters"),
    ({"id_number": HOA, "full_name": "Trần\x00Thị"}, "a control character"),
])
def test_a_malformed_request_is_invalid_request(
        flow: Flow, fields: dict[str, str], why: str) -> None:
    r = _ask(flow, **fields)
    assert r.status_code == 400 and r.json["error"] == "invalid_request", why


def test_a_repeated_field_is_invalid_request(flow: Flow) -> None:
    data = [("id_number", HOA), ("gender", "female"), ("gender", "male"),
            *assertion_form(flow).items()]
    from werkzeug.datastructures import MultiDict
    r = flow.api.post("/api/match", data=MultiDict(data))
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_refused_without_the_permission(flow: Flow) -> None:
    _without_permission(flow)
    r = _ask(flow, id_number=HOA, **HOA_DETAILS)
    assert r.status_code == 400 and r.json["error"] == "unauthorized_client"
    assert "match" not in r.json


def test_refused_to_a_client_authenticating_with_a_secret(flow: Flow) -> None:
    headers, _ = flow.client_auth(HCM)
    r = flow.api.post("/api/match", data={"id_number": HOA, **HOA_DETAILS}, headers=headers)
    assert r.status_code == 400 and r.json["error"] == "unauthorized_client"


def test_refused_without_client_authentication(flow: Flow) -> None:
    r = flow.api.post("/api/match", data={"id_number": HOA, **HOA_DETAILS})
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_a_replayed_assertion_is_refused(flow: Flow) -> None:
    form = {"id_number": HOA, **HOA_DETAILS, **assertion_form(flow)}
    assert flow.api.post("/api/match", data=form).status_code == 200
    again = flow.api.post("/api/match", data=form)
    assert again.status_code == 401 and again.json["error"] == "invalid_client"


def test_the_rate_limit_holds_per_client(flow: Flow) -> None:
    answers = [_ask(flow, id_number=HOA, gender="female").status_code
               for _ in range(MATCH_LIMIT)]
    assert answers == [200] * MATCH_LIMIT
    r = _ask(flow, id_number=HOA, gender="female")
    assert r.status_code == 429 and r.json["error"] == "rate_limited"
    assert "match" not in r.json
    # Malformed requests count too: probing costs the same as asking.
    assert _ask(flow, id_number="1").status_code == 429


def test_every_call_is_recorded_in_the_citizen_s_log(flow: Flow) -> None:
    _ask(flow, id_number=HOA, full_name="Trần Thị Hoà", gender="male")
    entries = flow.app.extensions["eid"].durable.citizen_access(HOA)
    assert len(entries) == 1
    entry = entries[0][1]
    assert (entry.action, entry.client_id, entry.attributes, entry.basis) == (
        "match", FAPI_ID, ("gender", "name"), "permission:match")


def test_nothing_is_answered_when_the_log_cannot_be_written(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(entry: Any) -> int:
        raise StorageError("down", code="storage_unavailable")

    monkeypatch.setattr(flow.app.extensions["eid"].durable, "append_access", fail)
    r = _ask(flow, id_number=HOA, **HOA_DETAILS)
    assert r.status_code == 503 and "match" not in (r.json or {})


# -- the registry's folding rules ---------------------------------------------------------

RECORD = Citizen(id_number=HOA, full_name="Đặng Thị Hoà", birth_date=PartialDate(1981, 11, 2),
                 sex="female")


@pytest.mark.parametrize(("asked", "same"), [
    ("Đặng Thị Hoà", True),
    ("Đặng Thị Hòa", True),  # the other tone placement
    (unicodedata.normalize("NFD", "Đặng Thị Hoà"), True),
    ("Dang Thi Hoa", True),  # no diacritics
    ("dặng thị hoà", True),  # đ written as d, lower case
    ("ĐẶNG THỊ HOÀ", True),
    ("  Đặng   Thị Hoà ", True),  # spacing
    ("Đặng Thị Hoa Hồng", False),
    ("Đặng Hoà", False),
])
def test_names_compare_by_the_registry_s_folding(asked: str, same: bool) -> None:
    assert compare(RECORD, MatchQuery(HOA, asked, None, None)) is same
