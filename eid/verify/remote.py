"""A key source that fetches an issuer's JWKS over HTTPS and caches it.

The ``jwks_uri`` is found through OpenID Connect Discovery 1.0 §4 (the
``issuer`` in the document must equal the configured issuer, §4.3). Fetches
have separate connect and read timeouts, a response size cap, no redirects,
and require https except to loopback addresses (for local mocks and tests).
The cache lifetime follows ``Cache-Control: max-age`` clamped to bounds; an
unknown ``kid`` triggers at most one refetch per ``min_refresh_interval``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import ConfigurationError, KeySourceError
from eid.verify.keys import KeySet

__all__ = ["FetchResult", "RemoteKeySource", "check_url", "http_fetch", "http_send"]

_MAX_AGE: Final = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.I)
_NO_CACHE: Final = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)", re.I)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched HTTP body and its ``Cache-Control`` header (if any)."""

    body: bytes
    cache_control: str | None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> urllib.parse.SplitResult:
    """Parse ``url`` and require https (or http to a loopback address).

    :raises ConfigurationError: ``insecure_url`` or ``invalid_url``.
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"not an absolute http(s) URL: {url!r}", code="invalid_url")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(f"key sets must be fetched over https: {url!r}",
                                 code="insecure_url")
    return parts


def http_send(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes | None = None,
    connect_timeout: float, read_timeout: float, max_bytes: int,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange with separate timeouts and a size cap; redirects are not followed.

    Returns the status, the headers (lower-cased names) and the body.

    :raises ConfigurationError: ``invalid_url`` or ``insecure_url``.
    :raises KeySourceError: ``fetch_failed`` or ``response_too_large``.
    """
    parts = check_url(url)
    conn_cls = (http.client.HTTPSConnection if parts.scheme == "https"
                else http.client.HTTPConnection)
    conn = conn_cls(parts.hostname or "", parts.port, timeout=connect_timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        conn.request(method, path, body=body, headers={"Accept": "application/json",
                                                       **(headers or {})})
        resp = conn.getresponse()
        length = resp.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise KeySourceError(f"{method} {url}: response exceeds {max_bytes} bytes",
                                 code="response_too_large")
        data = resp.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise KeySourceError(f"{method} {url}: response exceeds {max_bytes} bytes",
                                 code="response_too_large")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    except (OSError, http.client.HTTPException) as exc:
        raise KeySourceError(f"{method} {url} failed: {exc}", code="fetch_failed") from exc
    finally:
        conn.close()


def http_fetch(
    url: str, *, connect_timeout: float, read_timeout: float, max_bytes: int
) -> FetchResult:
    """GET a key set or discovery document (only a 200 answer counts).

    :raises KeySourceError: ``fetch_failed`` or ``response_too_large``.
    """
    status, headers, body = http_send("GET", url, connect_timeout=connect_timeout,
                                      read_timeout=read_timeout, max_bytes=max_bytes)
    if status != 200:
        raise KeySourceError(f"GET {url} answered HTTP {status}", code="fetch_failed")
    return FetchResult(body, headers.get("cache-control"))


Fetcher = Callable[[str], FetchResult]


class RemoteKeySource:
    """The issuer's JWKS, fetched through discovery and cached.

    :param issuer: the issuer URL; ``{issuer}/.well-known/openid-configuration``
        names the ``jwks_uri`` unless ``jwks_uri`` is given.
    :param fetch: replaces the HTTP client (tests, custom transports).
    :param clock: replaces ``time.monotonic``.
    """

    def __init__(
        self,
        issuer: str,
        *,
        jwks_uri: str | None = None,
        min_refresh_interval: float = 60,
        min_cache: float = 60,
        default_cache: float = 300,
        max_cache: float = 86_400,
        connect_timeout: float = 3,
        read_timeout: float = 5,
        max_bytes: int = 256 * 1024,
        fetch: Fetcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_url(issuer)
        if jwks_uri is not None:
            check_url(jwks_uri)
        if not 0 <= min_cache <= default_cache <= max_cache:
            raise ConfigurationError("need 0 <= min_cache <= default_cache <= max_cache",
                                     code="invalid_argument")
        if min_refresh_interval < 0 or connect_timeout <= 0 or read_timeout <= 0 \
                or max_bytes <= 0:
            raise ConfigurationError("intervals, timeouts and sizes must be positive",
                                     code="invalid_argument")
        self.issuer = issuer
        self._jwks_uri = jwks_uri
        self._min_refresh = min_refresh_interval
        self._bounds = (min_cache, default_cache, max_cache)
        self._fetch: Fetcher = fetch or (lambda url: http_fetch(
            url, connect_timeout=connect_timeout, read_timeout=read_timeout,
            max_bytes=max_bytes))
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._expires = 0.0
        self._fetched_at = float("-inf")

    def _json(self, url: str) -> tuple[Any, str | None]:
        result = self._fetch(url)
        try:
            return json.loads(result.body.decode("utf-8")), result.cache_control
        except ValueError as exc:
            raise KeySourceError(f"{url} did not return JSON", code="malformed_jwks") from exc

    def _discover(self) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc, _ = self._json(url)
        if not isinstance(doc, dict) or doc.get("issuer") != self.issuer:
            raise KeySourceError("discovery document names another issuer "
                                 "(OpenID Connect Discovery 1.0 §4.3)", code="issuer_mismatch")
        uri = doc.get("jwks_uri")
        if not isinstance(uri, str):
            raise KeySourceError("discovery document has no jwks_uri", code="malformed_jwks")
        try:
            check_url(uri)
        except ConfigurationError as exc:
            raise KeySourceError(exc.message, code=exc.code) from exc
        return uri

    def _lifetime(self, cache_control: str | None) -> float:
        low, default, high = self._bounds
        if cache_control is None:
            return default
        if _NO_CACHE.search(cache_control):
            return low
        m = _MAX_AGE.search(cache_control)
        return min(max(float(m.group(1)), low), high) if m else default

    def _load(self) -> KeySet:
        # Called with the lock held.
        if self._jwks_uri is None:
            self._jwks_uri = self._discover()
        self._fetched_at = self._clock()
        doc, cache_control = self._json(self._jwks_uri)
        keys = KeySet.from_jwks(doc)
        self._keys = keys
        self._expires = self._clock() + self._lifetime(cache_control)
        return keys

    def key_set(self) -> KeySet:
        """The cached key set, fetched when missing or expired.

        An expired set whose refetch fails is kept (stale keys beat an outage);
        only a source that never fetched raises.

        :raises KeySourceError: no key set could ever be fetched.
        """
        keys = self._keys
        if keys is not None and self._clock() < self._expires:
            return keys
        with self._lock:
            if self._keys is not None and self._clock() < self._expires:
                return self._keys
            try:
                return self._load()
            except KeySourceError:
                if self._keys is None:
                    raise
                self._expires = self._clock() + self._bounds[0]
                return self._keys

    def refresh(self) -> KeySet | None:
        """Refetch after an unknown ``kid``, at most once per ``min_refresh_interval``."""
        with self._lock:
            if self._clock() - self._fetched_at < self._min_refresh:
                return None
            try:
                return self._load()
            except KeySourceError:
                return None
