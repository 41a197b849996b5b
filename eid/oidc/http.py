"""A small, strict HTTP client for the relying party (JSON over https).

Separate connect and read timeouts, a response size cap, no redirects (an
OAuth endpoint that redirects is misconfigured or hostile), https required
except to loopback. Built on the standard library so the library adds no
HTTP dependency.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from eid.errors import ConfigurationError, LoginError
from eid.verify.remote import check_url

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
    """:class:`HttpClient` on ``http.client`` with timeouts and a size cap."""

    def __init__(self, *, connect_timeout: float = 3, read_timeout: float = 10,
                 max_bytes: int = 1024 * 1024) -> None:
        self._connect, self._read, self._max = connect_timeout, read_timeout, max_bytes

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        """Send one request.

        :raises LoginError: ``insecure_url``/``invalid_url``, ``http_failed`` or
            ``response_too_large``.
        """
        try:
            parts = check_url(url)
        except ConfigurationError as exc:
            raise LoginError(exc.message, code=exc.code) from exc
        cls = (http.client.HTTPSConnection if parts.scheme == "https"
               else http.client.HTTPConnection)
        conn = cls(parts.hostname or "", parts.port, timeout=self._connect)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        all_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.connect()
            if conn.sock is not None:
                conn.sock.settimeout(self._read)
            conn.request(method, target, body=body, headers=all_headers)
            resp = conn.getresponse()
            data = resp.read(self._max + 1)
            if len(data) > self._max:
                raise LoginError(f"{method} {url}: response too large", code="response_too_large")
            return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        except (OSError, http.client.HTTPException) as exc:
            raise LoginError(f"{method} {url} failed: {exc}", code="http_failed") from exc
        finally:
            conn.close()
