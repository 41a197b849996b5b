"""The login's session cookie, written by CachedCookieSessions itself: the very bytes
Flask's own interface (itsdangerous + werkzeug) writes, read back by itsdangerous; and
Flask's own way for whatever that fast path does not cover."""

from __future__ import annotations

import json
import secrets
import warnings
from typing import Any

import pytest
from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from freezegun import freeze_time

from service.app_class import ServiceFlask
from service.session_cookie import CachedCookieSessions

SK = "Xk2v9Qm1xT7bNw3LpR5sYd.qZ8cV4hJ6nB2mK9wE1rT5yU7iO3pA0sD4fG6hJ8kL"
CSRF = "c2VjcmV0LWNzcmYtdG9rZW4tZm9yLXRlc3Rz"


def _app(**config: Any) -> ServiceFlask:
    app = ServiceFlask(__name__)
    app.config.update({"SECRET_KEY": b"k" * 32, "SESSION_COOKIE_NAME": "eid_session", **config})

    @app.post("/set")
    def set_values() -> str:
        values = json.loads(request.get_data())
        session.update(values.get("values", {}))
        if values.get("permanent"):
            session.permanent = True
        for name in values.get("drop", []):
            session.pop(name, None)
        return "ok"

    @app.get("/get")
    def get_values() -> Any:
        return dict(session)
    return app


def _set_cookie(app: Flask, values: dict[str, Any], **extra: Any) -> tuple[str, str | None]:
    client = app.test_client()
    with freeze_time("2026-12-01 12:00:00"):
        response = client.post("/set", data=json.dumps({"values": values, **extra}))
    return response.headers.get("Set-Cookie", ""), response.headers.get("Vary")


def _not_called(*args: object) -> None:
    raise AssertionError("Flask's save_session was called")


def _flasks(app: ServiceFlask) -> ServiceFlask:
    app.session_interface = SecureCookieSessionInterface()
    return app


@pytest.mark.parametrize("config", [
    {},
    {"SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax"},
    {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "Strict"},
    {"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "None"},
    {"SESSION_COOKIE_HTTPONLY": False, "SESSION_COOKIE_PATH": "/login"},
    {"APPLICATION_ROOT": "/eid"},
])
@pytest.mark.parametrize("values", [
    {"sk": SK},
    {"sk": SK, "csrf": CSRF, "lang": "vi"},
    {"lang": "en", "n": 3, "ok": True, "none": None},
])
def test_the_cookie_is_the_bytes_flask_writes(config: dict[str, Any],
                                              values: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as patch:  # ours, never Flask's writer
        patch.setattr(SecureCookieSessionInterface, "save_session", _not_called)
        ours = _set_cookie(_app(**config), values)
    assert ours[0].startswith("eid_session=")
    assert ours == _set_cookie(_flasks(_app(**config)), values)


def test_the_cookie_is_read_back_by_itsdangerous() -> None:
    app = _app()
    client = app.test_client()
    client.post("/set", data=json.dumps({"values": {"sk": SK, "csrf": CSRF}}))
    assert client.get("/get").json == {"sk": SK, "csrf": CSRF}
    # Flask's own interface, with the same key, opens it too.
    reader = _flasks(_app())
    cookie = client.get_cookie("eid_session")
    assert cookie is not None
    other = reader.test_client()
    other.set_cookie("eid_session", cookie.value)
    assert other.get("/get").json == {"sk": SK, "csrf": CSRF}


def test_it_signs_with_the_current_key_not_a_fallback() -> None:
    app = _app(SECRET_KEY_FALLBACKS=[b"o" * 32])
    client = app.test_client()
    client.post("/set", data=json.dumps({"values": {"sk": SK}}))
    cookie = client.get_cookie("eid_session")
    assert cookie is not None
    current_only = _flasks(_app())  # no fallbacks: only the current key verifies
    reader = current_only.test_client()
    reader.set_cookie("eid_session", cookie.value)
    assert reader.get("/get").json == {"sk": SK}


@pytest.mark.parametrize(("config", "values", "extra"), [
    ({}, {"sk": SK}, {"permanent": True}),  # Expires: Flask's way
    ({}, {"t": [1, 2], "sk": SK}, {}),  # tagged JSON's values
    ({}, {" t": "x"}, {}),  # a key that looks like a tag
    ({"SESSION_COOKIE_DOMAIN": "eid.gov.vn"}, {"sk": SK}, {}),
    ({"SESSION_COOKIE_PARTITIONED": True}, {"sk": SK}, {}),
    ({"SESSION_COOKIE_SAMESITE": "lax"}, {"sk": SK}, {}),  # werkzeug titles it
    ({"SESSION_COOKIE_PATH": "/a b"}, {"sk": SK}, {}),  # werkzeug quotes it
    ({"SESSION_COOKIE_NAME": "eid:session"}, {"sk": SK}, {}),  # not an RFC 6265 token
])
def test_what_the_fast_path_does_not_cover_is_written_flasks_way(
        config: dict[str, Any], values: dict[str, Any], extra: dict[str, Any]) -> None:
    app, flasks = _app(**config), _flasks(_app(**config))
    calls: list[bool] = []
    flasks_save = SecureCookieSessionInterface.save_session

    def counted(*args: Any) -> None:
        calls.append(True)
        flasks_save(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SecureCookieSessionInterface, "save_session", counted)
        ours = _set_cookie(app, values, **extra)
    assert calls and ours[0]
    assert ours == _set_cookie(flasks, values, **extra)


def test_a_session_emptied_deletes_the_cookie_as_flask_does() -> None:
    app = _app()
    client = app.test_client()
    client.post("/set", data=json.dumps({"values": {"sk": SK}}))
    response = client.post("/set", data=json.dumps({"drop": ["sk"]}))
    assert "eid_session=;" in response.headers["Set-Cookie"]
    assert "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]


def test_an_oversized_cookie_gets_werkzeugs_warning() -> None:
    app = _app()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Random, so that compression does not bring it under the limit.
        cookie, _ = _set_cookie(app, {"big": secrets.token_urlsafe(4000)})
    assert cookie.startswith("eid_session=")
    assert any("cookie is too large" in str(w.message) for w in caught)


def test_a_service_app_uses_this_interface() -> None:
    assert isinstance(_app().session_interface, CachedCookieSessions)
