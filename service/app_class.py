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
* A URL-encoded form (every token, PAR, revocation and sign-in request) is parsed as
  werkzeug's own parser does, without the parser it builds around that for each body
  (75 k instructions of a 5.46 M plain login flow, bench.instructions).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from types import FunctionType
from typing import Any, Final
from urllib.parse import parse_qsl

from flask import Flask
from flask import Request as FlaskRequest
from flask import Response as FlaskResponse
from flask.ctx import RequestContext

from service.session_cookie import CachedCookieSessions

__all__ = ["ServiceFlask", "ServiceRequest", "ServiceResponse"]

#: Status codes whose answers carry no body (RFC 9110 §15.3.5, §15.4.5); werkzeug's list.
_NO_BODY = frozenset({204, 304})
_URLENCODED: Final = "application/x-www-form-urlencoded"


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


class ServiceRequest(FlaskRequest):
    """A Flask request whose URL-encoded form is parsed in one step."""

    def _load_form_data(self) -> None:
        if "form" in self.__dict__ or self.mimetype != _URLENCODED:
            super()._load_form_data()  # multipart, other types, a form already read
            return
        # werkzeug's FormDataParser._parse_urlencoded, the same calls: the stream is
        # limited to MAX_CONTENT_LENGTH (a longer Content-Length is 413 here), invalid
        # percent-escapes stay as they are, and a body that is not UTF-8 is an empty form
        # (its parser is silent). The parameters are then checked by service.params.
        # Flask's debug-mode hint for a file field read from such a form (a missing
        # enctype) is left out: looking up the app's debug flag cost a third of what
        # this saves, and the login service takes no files (the office, which does, is
        # a Flask app of its own).
        stream = self._get_stream_for_parsing()
        try:
            items = parse_qsl(stream.read().decode(), keep_blank_values=True,
                              errors="werkzeug.url_quote")
        except ValueError:
            items = []
        d = self.__dict__
        d["stream"], d["form"], d["files"] = (stream, self.parameter_storage_class(items),
                                              self.parameter_storage_class())


class ServiceFlask(Flask):
    """Flask with :class:`ServiceRequest`, :class:`ServiceResponse`,
    :class:`CachedCookieSessions` and a direct ``ensure_sync`` for plain functions."""

    request_class = ServiceRequest
    response_class = ServiceResponse

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = CachedCookieSessions()  # its cache is this app's

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        ctx = super().request_context(environ)
        # The body limit, read from the config once a request: Flask's property looks the
        # app up through its proxy at every read (three a request: the body's pre-read,
        # the stream, the form). Flask 3.1's per-request setting; the same value.
        ctx.request.max_content_length = self.config["MAX_CONTENT_LENGTH"]
        return ctx

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # inspect.iscoroutinefunction on a plain function is this flag test; anything
        # else (methods, partials, marked callables) goes Flask's way.
        if type(func) is FunctionType and not hasattr(func, "_is_coroutine_marker"):
            if func.__code__.co_flags & inspect.CO_COROUTINE:
                return self.async_to_sync(func)
            return func
        return super().ensure_sync(func)
