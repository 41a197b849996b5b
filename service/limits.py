"""The request body limit, one number for every way a body can arrive.

Flask enforces ``MAX_CONTENT_LENGTH`` against a ``Content-Length`` header, but a
``Transfer-Encoding: chunked`` body has none: Werkzeug then wraps the stream in a
``LimitedStream`` that a form parser reads with a single ``read()``, which stops
*at* the limit and returns a body silently cut there (the rest of the form
vanishes, the cut part is still parsed). Here such a body is read whole first,
up to one byte past the limit: over it is 413 (RFC 9110 §15.5.14), under it the
request continues with an ordinary, exactly sized body.
"""

from __future__ import annotations

import io
from typing import Final

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["MAX_BODY", "apply_body_limit"]

#: Largest request body (bytes): forms here are a few KB, signed JWTs a few more.
MAX_BODY: Final = 64 * 1024


def apply_body_limit(app: Flask, limit: int = MAX_BODY) -> None:
    """Make ``limit`` the one body limit of ``app``, chunked bodies included."""
    # MAX_FORM_MEMORY_SIZE bounds multipart text parts (Flask 3.1); the same number.
    app.config.update(MAX_CONTENT_LENGTH=limit, MAX_FORM_MEMORY_SIZE=limit)
    app.before_request(_read_streamed_body)


def _read_streamed_body() -> None:
    req = request._get_current_object()  # type: ignore[attr-defined]  # every request
    wsgi_env = req.environ  # the request's WSGI environ, not the process's
    # Only streams the server terminates itself (wsgi.input_terminated: werkzeug's
    # dechunking, gunicorn, granian) may be read without a length; others have
    # Content-Length.
    if not wsgi_env.get("wsgi.input_terminated") or req.content_length is not None:
        return
    limit = req.max_content_length
    if limit is None:
        return
    body = wsgi_env["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    wsgi_env["wsgi.input"] = io.BytesIO(body)
    wsgi_env["CONTENT_LENGTH"] = str(len(body))
