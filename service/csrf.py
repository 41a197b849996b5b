"""CSRF protection for the service's own forms (login, consent, my shared data).

Synchroniser token: a random value in the signed session cookie, repeated in a
hidden ``csrf_token`` field and compared in constant time on every POST to a
form view. Protocol endpoints called by portals (``/authorize`` by POST,
``/token``, ``/userinfo``, ``/revoke``, ``/introspect``) are not forms of ours
and are exempt: they authenticate the client or carry a bearer token instead.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

from eid.errors import InvalidRequest

__all__ = ["CSRF_FIELD", "check_csrf", "csrf_token"]

CSRF_FIELD = "csrf_token"


class CsrfError(InvalidRequest):
    """The form's CSRF token is missing or wrong (an error page, never a redirect)."""

    redirectable = False


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """:raises CsrfError: the POSTed ``csrf_token`` does not match the session's."""
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError("CSRF token missing or invalid", code="invalid_request")
