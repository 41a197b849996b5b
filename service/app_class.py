"""The service's Flask class: Flask, minus work it redoes for every request.

Found with py-spy on ``eid serve`` under ``python -m bench.flows`` (README, Benchmarks):

* A buffered response (a JSON answer, a redirect, a rendered page) goes to the WSGI
  server as one ``bytes`` in a list. werkzeug hands every response over as an iterator
  (a generator wrapped in a ``ClosingIterator``), and granian sends an iterator by
  calling back into Python for each chunk, holding the GIL, instead of writing the
  body it was given at once. Streams (files, ``direct_passthrough``), answers without
  a body (``HEAD``, 1xx, 204, 304) and responses with ``call_on_close`` callbacks
  still go the iterator way, so nothing but the container changes; a list needs no
  ``close()``: a buffered body's close is a no-op without callbacks.
* ``ensure_sync`` (called for every hook and view of every request) decides
  "coroutine function?" through :func:`inspect.iscoroutinefunction`; for a plain
  function that is one look at its code flags, done here directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from types import FunctionType
from typing import Any

from flask import Flask
from flask import Response as FlaskResponse

from service.session_cookie import CachedCookieSessions

__all__ = ["ServiceFlask", "ServiceResponse"]

#: Status codes whose answers carry no body (RFC 9110 §15.3.5, §15.4.5); werkzeug's list.
_NO_BODY = frozenset({204, 304})


class ServiceResponse(FlaskResponse):
    """A Flask response that a WSGI server receives in one piece when it is buffered, with
    :attr:`late_headers` appended to its WSGI header list."""

    #: Headers appended as they are to the list the WSGI server gets, after werkzeug's own
    #: header processing: the security headers every answer carries, constant and checked
    #: where they are set, so werkzeug does not copy, re-validate and scan them again on
    #: every response (0.14 M instructions a plain login flow, bench.instructions).
    late_headers: list[tuple[str, str]] | None = None

    def get_wsgi_response(self, environ: dict[str, Any]
                          ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        app_iter, status, headers = super().get_wsgi_response(environ)
        if self.late_headers:
            headers.extend(self.late_headers)
        return app_iter, status, headers

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        status = self.status_code
        if self.is_sequence and not self._on_close and not self.direct_passthrough \
                and environ["REQUEST_METHOD"] != "HEAD" \
                and not 100 <= status < 200 and status not in _NO_BODY:
            return [b"".join(self.iter_encoded())]
        return super().get_app_iter(environ)


class ServiceFlask(Flask):
    """Flask with :class:`ServiceResponse`, :class:`CachedCookieSessions` and a direct
    ``ensure_sync`` for plain functions."""

    response_class = ServiceResponse

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = CachedCookieSessions()  # its cache is this app's

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # inspect.iscoroutinefunction on a plain function is this flag test; anything
        # else (methods, partials, marked callables) goes Flask's way.
        if type(func) is FunctionType and not hasattr(func, "_is_coroutine_marker"):
            if func.__code__.co_flags & inspect.CO_COROUTINE:
                return self.async_to_sync(func)
            return func
        return super().ensure_sync(func)
