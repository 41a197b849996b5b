"""One trace id per request: what ties a data-access log entry to the request behind it.

A caller that already traces its requests keeps its id: a valid W3C Trace Context
``traceparent`` (its trace-id), else a well-formed ``X-Request-Id``. Anything else is
ignored, never an error (W3C Trace Context §3.2.2: an invalid ``traceparent`` starts
a new trace), and a fresh random id is used. The id is echoed in ``X-Request-Id`` on
every response, so a portal can quote it when it asks about a release.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from flask import Flask, Response

from service.context import this_globals, this_request

__all__ = ["REQUEST_ID_HEADER", "install_tracing", "trace_id"]

REQUEST_ID_HEADER: Final = "X-Request-Id"
# W3C Trace Context §3.2.2: version "-" trace-id "-" parent-id "-" flags, lowercase hex.
# A later version may append fields after a "-" (§3.2.4); version ff is invalid.
_TRACEPARENT: Final = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-[0-9a-f]{2}"
    r"(?P<rest>-.*)?")
# A caller's own request id: short and plain, so it can sit in the log and in a header.
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:-]{8,64}")
#: The WSGI environ's names of the two headers read (PEP 3333: HTTP_ and upper case).
_TRACEPARENT_KEY: Final = "HTTP_TRACEPARENT"
_REQUEST_ID_KEY: Final = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


def _incoming() -> str | None:
    # Read from the environ directly: every request pays this, no other header matters.
    environ = this_request().environ
    parent = _TRACEPARENT.fullmatch(str(environ.get(_TRACEPARENT_KEY, "")).strip())
    if parent is not None and parent["version"] != "ff" \
            and (parent["rest"] is None or parent["version"] != "00") \
            and parent["trace"] != "0" * 32 and parent["parent"] != "0" * 16:
        return parent["trace"]
    own = str(environ.get(_REQUEST_ID_KEY, ""))
    return own if _REQUEST_ID.fullmatch(own) else None


def trace_id() -> str:
    """The current request's trace id (decided on first use, the same ever after)."""
    ctx = this_globals()
    value = ctx.get("trace_id")
    if not isinstance(value, str):
        value = _incoming() or secrets.token_hex(16)
        ctx.trace_id = value
    return value


def install_tracing(app: Flask) -> None:
    """Give every request of ``app`` a trace id and echo it in ``X-Request-Id``."""

    def echo(response: Response) -> Response:
        # With the security headers when they go out late (service.app_class): never set
        # by a view, it needs none of werkzeug's per-header work either.
        late = getattr(response, "late_headers", None)
        if isinstance(late, list):
            late.append((REQUEST_ID_HEADER, trace_id()))
        else:
            response.headers[REQUEST_ID_HEADER] = trace_id()
        return response

    app.after_request(echo)
