"""The service's own forms go through the one strict parser too (issue 10 item 13)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from service.views import login
from tests.service.flow import LOA2, Flow, csrf_of

_ERROR_CODE = 'id="error-code">invalid_request<'


def _login_form(flow: Flow, **override: list[str]) -> MultiDict[str, str]:
    auth = flow.request()
    flow.follow(flow.start(auth))
    page = flow.browser.get("/login", query_string={"req": auth.req_id})
    fields = {"csrf_token": [csrf_of(page.get_data(as_text=True))], "req": [auth.req_id],
              "id_number": [LOA2[0]], "password": [LOA2[1]], **override}
    return MultiDict([(k, v) for k, values in fields.items() for v in values])


@pytest.mark.parametrize("override", [
    {"id_number": ["079000000000", LOA2[0]]},   # which number is checked must not be a guess
    {"password": ["wrong", LOA2[1]]},           # two guesses for one reserved attempt
    {"password": ["x" * 1025]},
    {"id_number": [LOA2[0] + "\x00"]},
], ids=["repeated id_number", "repeated password", "password too long", "control character"])
def test_a_malformed_login_form_is_refused_without_a_password_check(
        flow: Flow, override: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real = login.verify_password
    monkeypatch.setattr(login, "verify_password",
                        lambda password, stored: checks.append(password) or real(password, stored))
    r = flow.browser.post("/login", data=_login_form(flow, **override))
    assert r.status_code == 400 and r.location is None
    assert _ERROR_CODE in r.get_data(as_text=True)
    assert checks == []


def test_a_repeated_client_id_at_revoke_is_refused(flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    page = flow.browser.get("/my-data")
    data = MultiDict([("csrf_token", csrf_of(page.get_data(as_text=True))),
                      ("client_id", "cong-dvc-hcm"), ("client_id", "cong-dvc-quoc-gia-demo")])
    r = flow.browser.post("/my-data/revoke", data=data)
    assert r.status_code == 400
    assert _ERROR_CODE in r.get_data(as_text=True)
