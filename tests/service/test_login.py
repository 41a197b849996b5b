"""The login screen: lockout, no account enumeration, refused accounts, CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from freezegun import freeze_time

from tests.service.flow import DECEASED, LOA1, LOA2, LOCKED, UNKNOWN_ID, Flow

_ERROR = re.compile(r'<p class="error" role="alert" id="login-error">([^<]*)</p>')


def _error(r: Any) -> str:
    match = _ERROR.search(r.get_data(as_text=True))
    assert match, "no login error shown"
    return match.group(1)


def _attempt(flow: Flow, id_number: str, password: str) -> Any:
    auth = flow.request()
    flow.follow(flow.start(auth))
    return flow.submit_login(id_number, password, auth.req_id)


def test_unknown_and_known_id_numbers_get_identical_errors(flow: Flow) -> None:
    known = _attempt(flow, LOA2[0], "wrong-password")
    unknown = _attempt(flow, UNKNOWN_ID, "wrong-password")
    malformed = _attempt(flow, "12345", "wrong-password")
    assert known.status_code == unknown.status_code == malformed.status_code == 200
    assert _error(known) == _error(unknown) == _error(malformed)
    assert _error(known) == "Số định danh cá nhân hoặc mật khẩu không đúng."


def test_unknown_id_numbers_cost_one_password_check_like_known_ones(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.views import login

    calls: list[str] = []
    real = login.verify_password

    def counting(password: str, encoded: str) -> bool:
        calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(login, "verify_password", counting)
    _attempt(flow, LOA2[0], "wrong")
    _attempt(flow, UNKNOWN_ID, "wrong")
    assert len(calls) == 2
    assert all(c.startswith("scrypt$16384$8$1$") for c in calls)  # same scrypt cost


@pytest.mark.parametrize("id_number", [LOA1[0], UNKNOWN_ID], ids=["known", "unknown"])
def test_five_wrong_passwords_lock_the_account_for_a_period(flow: Flow, id_number: str) -> None:
    with freeze_time() as frozen:
        for _ in range(4):
            assert "không đúng" in _error(_attempt(flow, id_number, "wrong"))
        fifth = _error(_attempt(flow, id_number, "wrong"))
        assert "tạm thời bị khóa" in fifth
        # Locked: even the right password is refused, with the same message.
        password = LOA1[1] if id_number == LOA1[0] else "x"
        assert _error(_attempt(flow, id_number, password)) == fifth
        frozen.tick(15 * 60 + 1)
        if id_number == LOA1[0]:
            r = _attempt(flow, id_number, password)
            assert r.status_code == 302


def test_a_good_login_resets_the_failure_count(flow: Flow) -> None:
    for _ in range(4):
        _attempt(flow, LOA1[0], "wrong")
    assert _attempt(flow, LOA1[0], LOA1[1]).status_code == 302
    for _ in range(4):
        assert "không đúng" in _error(_attempt(flow, LOA1[0], "wrong"))


@pytest.mark.parametrize("who", [LOCKED, DECEASED], ids=["locked", "deceased"])
def test_locked_or_deceased_accounts_cannot_sign_in(flow: Flow, who: tuple[str, str]) -> None:
    r = _attempt(flow, *who)
    assert r.status_code == 200
    assert "không thể đăng nhập" in _error(r)
    assert flow.browser.get("/my-data").status_code == 302  # no session was created


def test_forms_without_csrf_token_are_refused(flow: Flow) -> None:
    auth = flow.request()
    flow.follow(flow.start(auth))
    r = flow.browser.post("/login", data={"req": auth.req_id, "id_number": LOA2[0],
                                          "password": LOA2[1]})
    assert r.status_code == 400 and r.location is None
    r = flow.browser.post("/login", data={"req": auth.req_id, "id_number": LOA2[0],
                                          "password": LOA2[1], "csrf_token": "forged"})
    assert r.status_code == 400
    flow.follow(flow.submit_login(*LOA2, auth.req_id))
    r = flow.browser.post("/consent", data={"req": auth.req_id, "decision": "approve"})
    assert r.status_code == 400 and r.location is None


def test_login_page_in_english_on_switch(flow: Flow) -> None:
    r = flow.browser.get("/login?lang=en")
    assert b"Sign in with your electronic identity account" in r.data
    r = flow.browser.get("/login")  # remembered in the session
    assert b"Sign in with your electronic identity account" in r.data
