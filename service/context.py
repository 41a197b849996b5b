"""The current request's objects, found once instead of through Flask's proxies.

``flask.request``, ``g``, ``session`` and ``current_app`` are werkzeug ``LocalProxy``
objects: every attribute read, item access or call through one looks the context up
again, about 5,000 instructions each (bench.instructions: ``provider()`` alone, seven
times a plain login flow, cost 38 k of its 5.4 M). Code that runs on every request
takes the object here, once, and works on it directly.

Each function must be called inside a request (or, for :func:`this_app`, an app)
context, as the proxies must: outside one it raises ``RuntimeError``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, current_app, g, request, session
from flask.ctx import _AppCtxGlobals
from flask.sessions import SessionMixin

__all__ = ["this_app", "this_globals", "this_request", "this_session"]


def _target(proxy: Any) -> Any:
    # LocalProxy keeps _get_current_object as an attribute of its own: reading it is
    # not proxied.
    return proxy._get_current_object()


def this_app() -> Flask:
    """The app handling the current request (``current_app``)."""
    app: Flask = _target(current_app)
    return app


def this_request() -> Request:
    """The current request (``flask.request``)."""
    found: Request = _target(request)
    return found


def this_globals() -> _AppCtxGlobals:
    """The current app context's ``g``."""
    found: _AppCtxGlobals = _target(g)
    return found


def this_session() -> SessionMixin:
    """The current request's cookie session (``flask.session``)."""
    found: SessionMixin = _target(session)
    return found
