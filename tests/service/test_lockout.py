"""The login lockout holds under concurrency: at most 5 password checks per account per window.

NIST SP 800-63B §5.2.2: the attempt is reserved before the password is checked,
so a burst of parallel requests cannot get more checks than the limit; known
and unknown ID numbers behave the same (messages and checks). Each test runs on
the memory store and on a real redis-server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.config import Settings
from tests.servers import redis_server
from tests.service.flow import LOA1, UNKNOWN_ID, Flow, csrf_of

_ERROR = re.compile(r'<p class="error" role="alert" id="login-error">([^<]*)</p>')
WRONG = "không đúng"
LOCKED = "tạm thời bị khóa"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def lockout_app(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Flask]:
    if request.param == "redis":
        settings = settings.with_(redis_url=request.getfixturevalue("redis_url"))
    app = create_app({"TESTING": True, "EID_SETTINGS": settings})
    yield app
    app.extensions["eid"].ephemeral.clear()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the login screen runs (the stored hash it checked against)."""
    from service.views import login

    calls: list[str] = []
    real = login.verify_password

    def counting(password: str, encoded: str) -> bool:
        calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(login, "verify_password", counting)
    return calls


def _error(r: Any) -> str:
    match = _ERROR.search(r.get_data(as_text=True))
    assert match, f"no login error shown ({r.status_code})"
    return match.group(1)


def _form(flow: Flow, id_number: str, password: str) -> dict[str, str]:
    page = flow.browser.get("/login")
    return {"csrf_token": csrf_of(page.get_data(as_text=True)), "req": "",
            "id_number": id_number, "password": password}


def _attempt(flow: Flow, id_number: str, password: str) -> Any:
    return flow.browser.post("/login", data=_form(flow, id_number, password))


def _burst(app: Flask, id_number: str, password: str, n: int = 16) -> list[int]:
    """``n`` browsers post the login form at the same instant; their status codes."""
    browsers = [Flow(app) for _ in range(n)]
    forms = [_form(b, id_number, password) for b in browsers]
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def post(browser: Flow, form: dict[str, str]) -> None:
        barrier.wait(timeout=30)
        statuses.append(browser.browser.post("/login", data=form).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(browsers, forms,
                                                                         strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == n, "a login request did not finish"
    return statuses


def test_a_burst_with_one_guess_left_gets_one_password_check(
        lockout_app: Flask, checks: list[str]) -> None:
    flow = Flow(lockout_app)
    for _ in range(4):
        assert WRONG in _error(_attempt(flow, LOA1[0], "wrong"))
    checks.clear()
    statuses = _burst(lockout_app, LOA1[0], LOA1[1])
    assert len(checks) == 1
    assert statuses.count(302) == 1  # the one checked attempt had the right password: 5 allowed
    assert statuses.count(200) == 15


def test_a_burst_on_a_fresh_account_gets_at_most_five_checks(
        lockout_app: Flask, checks: list[str]) -> None:
    statuses = _burst(lockout_app, LOA1[0], "wrong")
    assert len(checks) == 5
    assert statuses == [200] * 16
    assert LOCKED in _error(_attempt(Flow(lockout_app), LOA1[0], LOA1[1]))
    assert len(checks) == 5  # locked: refused without a check, even the right password


def test_known_and_unknown_id_numbers_get_the_same_messages_and_checks(
        lockout_app: Flask, checks: list[str]) -> None:
    seen: dict[str, tuple[list[str], int]] = {}
    for id_number in (LOA1[0], UNKNOWN_ID):
        checks.clear()
        flow = Flow(lockout_app)
        messages = [_error(_attempt(flow, id_number, "wrong")) for _ in range(7)]
        seen[id_number] = (messages, len(checks))
    assert seen[LOA1[0]] == seen[UNKNOWN_ID]
    messages, count = seen[UNKNOWN_ID]
    assert count == 5
    assert [WRONG in m for m in messages] == [True] * 4 + [False] * 3
    assert all(LOCKED in m for m in messages[4:])


def test_a_success_does_not_reopen_slots_reserved_during_its_check(
        lockout_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.views import login

    p = lockout_app.extensions["eid"]
    key = login.attempts_key(LOA1[0])
    limit, window = p.settings.lockout_after, p.settings.lockout_seconds
    flow = Flow(lockout_app)
    assert WRONG in _error(_attempt(flow, LOA1[0], "wrong"))
    real = login.verify_password

    def with_a_concurrent_attempt(password: str, encoded: str) -> bool:
        assert p.ephemeral.reserve(key, limit, window) == 3  # reserved while this one runs
        return real(password, encoded)

    monkeypatch.setattr(login, "verify_password", with_a_concurrent_attempt)
    assert _attempt(flow, LOA1[0], LOA1[1]).status_code == 302
    # The success forgave the wrong password and itself, not the attempt still in flight.
    assert p.ephemeral.reserve(key, limit, window) == 2


def test_spellings_of_one_id_number_share_one_window(
        lockout_app: Flask, checks: list[str]) -> None:
    flow = Flow(lockout_app)
    spellings = [LOA1[0], f" {LOA1[0]} ", "0742 0900 0303", f"{LOA1[0]}\u00a0", f"\u2003{LOA1[0]}"]
    assert "0742 0900 0303".replace(" ", "") == LOA1[0]
    messages = [_error(_attempt(flow, spelling, "wrong")) for spelling in spellings]
    assert all(WRONG in m for m in messages[:4]) and LOCKED in messages[4]
    assert len(checks) == 5
    assert LOCKED in _error(_attempt(flow, f"  {LOA1[0]}", LOA1[1]))
    assert len(checks) == 5
