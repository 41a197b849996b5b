"""What the login screen tells a citizen matches the rule it applies.

The account locks at the ``lockout_after``-th wrong password in a window (service.views.login),
so the message names that number of wrong passwords, never "more than" it; in both languages.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.config import Settings
from tests.service.flow import LOA1, Flow, csrf_of

_ERROR = re.compile(r'id="login-error">([^<]*)</p>')


def _attempt(flow: Flow, lang: str) -> str:
    page = flow.browser.get(f"/login?lang={lang}")
    r = flow.browser.post("/login", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                          "req": "", "id_number": LOA1[0],
                                          "password": "wrong-password"})
    match = _ERROR.search(r.get_data(as_text=True))
    assert match, f"no login error shown ({r.status_code})"
    return match.group(1)


@pytest.mark.parametrize(("limit", "lang", "expected"), [
    (5, "vi", "nhập sai mật khẩu 5 lần"),
    (3, "vi", "nhập sai mật khẩu 3 lần"),
    (5, "en", "after 5 wrong passwords"),
    (3, "en", "after 3 wrong passwords"),
])
def test_the_lockout_message_names_the_attempt_that_locked(
        settings: Settings, limit: int, lang: str, expected: str) -> None:
    app: Flask = create_app({"TESTING": True,
                             "EID_SETTINGS": settings.with_(lockout_after=limit)})
    flow = Flow(app)
    messages: list[Any] = [_attempt(flow, lang) for _ in range(limit)]
    assert expected in messages[-1]
    assert "quá" not in messages[-1]  # "more than": the lock comes at the limit itself
    assert all(expected not in m for m in messages[:-1])
