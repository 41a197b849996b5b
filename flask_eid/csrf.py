"""CSRF protection for the extension's state-changing form (``POST /auth/logout``).

A synchroniser token: a random value kept in the Flask session (a signed
cookie), rendered by the portal into a hidden ``eid_csrf_token`` field of its
logout form and compared in constant time on the POST (OWASP CSRF Prevention
Cheat Sheet, "Synchronizer Token Pattern"). A cross-site page can make a
browser post the form but cannot read the token. The token is replaced at each
sign-in and sign-out, so a value seen before login (or planted with a session
cookie) is useless after it.

Portals render it with the template global ``eid_csrf_token()``::

    <form method="post" action="/auth/logout">
      <input type="hidden" name="eid_csrf_token" value="{{ eid_csrf_token() }}">
      <button>Đăng xuất</button>
    </form>

and may use :func:`csrf_token` / :func:`csrf_token_valid` for forms of their own.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from flask import session

__all__ = ["CSRF_FIELD", "csrf_token", "csrf_token_valid", "renew_csrf_token"]

#: The form field the logout view reads (not ``csrf_token``, so that a portal's
#: own CSRF library, such as Flask-WTF's, does not mistake it for its own).
CSRF_FIELD: Final = "eid_csrf_token"
_SESSION_KEY: Final = "eid_csrf"


def csrf_token() -> str:
    """This browser session's CSRF token, created on first use."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_token_valid(sent: object) -> bool:
    """Whether ``sent`` (a form value) is this session's token, compared in constant time."""
    expected = session.get(_SESSION_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def renew_csrf_token() -> None:
    """Forget the token (at sign-in and sign-out); the next page gets a fresh one."""
    session.pop(_SESSION_KEY, None)
