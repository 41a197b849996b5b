"""Flask's signed session cookie, without its per-request construction.

:class:`flask.sessions.SecureCookieSessionInterface` builds a new
``URLSafeTimedSerializer`` for every request, twice when the cookie is written
(open and save), and itsdangerous' constructor serialises ``{}`` to learn whether
the serializer is textual: about a tenth of a millisecond of each request's CPU,
also on the API endpoints (token, userinfo, JWKS) that never have a cookie. Here
the serializer is built once per key set and kept; the cookie's format, signature,
salt, key rotation (``SECRET_KEY_FALLBACKS``) and expiry are Flask's, unchanged,
and so are the answers: no cookie is a new empty session, a session neither
touched nor filled sets no cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

__all__ = ["CachedCookieSessions"]


class CachedCookieSessions(SecureCookieSessionInterface):
    """The signed-cookie session of Flask with its serializer built once per key set."""

    def __init__(self) -> None:
        # (secret key, fallbacks) -> serializer: a changed key gets a serializer of its
        # own, so configuration changed after the first request still takes effect.
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        key = (app.secret_key, *fallbacks)
        found = self._serializers.get(key, False)
        if found is False:
            # Dict assignment is atomic: two threads racing build equal serializers.
            found = self._serializers[key] = super().get_signing_serializer(app)
        return found  # type: ignore[return-value]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all (every portal back-channel call): nothing to parse.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()  # what Flask answers without a cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            # Flask's own early exit, before it reads seven cookie settings.
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
