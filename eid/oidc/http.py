"""A small, strict HTTP client for the relying party (JSON over https).

The transport is the verifier's (:func:`eid.verify.remote.http_send`):
separate connect and read timeouts, a response size cap, no redirects (an
OAuth endpoint that redirects is misconfigured or hostile), https required
except to loopback; standard library only, so the library adds no HTTP
dependency.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from eid.errors import ConfigurationError, KeySourceError, LoginError
from eid.verify.remote import http_send

__all__ = ["HttpClient", "HttpResponse", "StdlibHttpClient", "basic_auth"]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status, headers (lower-cased names) and body of one response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON.

        :raises LoginError: ``bad_response`` when it is not JSON.
        """
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as exc:
            raise LoginError("the provider did not answer with JSON", code="bad_response") from exc


class HttpClient(Protocol):
    """What the relying party needs from HTTP (replaceable in tests)."""

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse: ...


def basic_auth(client_id: str, secret: str) -> str:
    """``Authorization`` value for client_secret_basic (RFC 6749 §2.3.1: form-encode first)."""
    pair = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


class StdlibHttpClient:
    """:class:`HttpClient` on the verifier's strict transport (``http.client``)."""

    def __init__(self, *, connect_timeout: float = 3, read_timeout: float = 10,
                 max_bytes: int = 1024 * 1024) -> None:
        self._connect, self._read, self._max = connect_timeout, read_timeout, max_bytes

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        """Send one request.

        :raises LoginError: ``insecure_url``/``invalid_url``, ``fetch_failed`` or
            ``response_too_large``.
        """
        all_headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            status, got, data = http_send(method, url, headers=all_headers, body=body,
                                          connect_timeout=self._connect,
                                          read_timeout=self._read, max_bytes=self._max)
        except (ConfigurationError, KeySourceError) as exc:
            raise LoginError(exc.message, code=exc.code) from exc
        return HttpResponse(status, got, data)
