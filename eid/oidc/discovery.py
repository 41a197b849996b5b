"""Provider metadata for a relying party (OpenID Connect Discovery 1.0 §3, §4).

Fetched once and cached; the ``issuer`` in the document must equal the
configured issuer exactly (§4.3), which stops a mix-up between providers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

from eid.errors import ConfigurationError, LoginError
from eid.oidc.http import HttpClient
from eid.verify.remote import check_url

__all__ = ["ProviderMetadata"]

_REQUIRED: Final = ("authorization_endpoint", "token_endpoint", "jwks_uri")
_URL_FIELDS: Final = (
    "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
    "revocation_endpoint", "introspection_endpoint", "end_session_endpoint",
    "pushed_authorization_request_endpoint",
)


class ProviderMetadata:
    """The issuer's discovery document, fetched lazily and cached for ``ttl`` seconds."""

    def __init__(self, issuer: str, http: HttpClient, *, ttl: float = 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.issuer = issuer
        self._http = http
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._doc: dict[str, Any] | None = None
        self._expires = 0.0

    def document(self) -> dict[str, Any]:
        """The validated metadata.

        :raises LoginError: ``discovery_failed`` or ``issuer_mismatch``.
        """
        doc = self._doc
        if doc is not None and self._clock() < self._expires:
            return doc
        with self._lock:
            if self._doc is None or self._clock() >= self._expires:
                self._doc = self._fetch()
                self._expires = self._clock() + self._ttl
            return self._doc

    def _fetch(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        resp = self._http.request("GET", url)
        if resp.status != 200:
            raise LoginError(f"discovery answered HTTP {resp.status}", code="discovery_failed")
        doc = resp.json()
        if not isinstance(doc, dict):
            raise LoginError("discovery document is not an object", code="discovery_failed")
        if doc.get("issuer") != self.issuer:
            raise LoginError("discovery document names another issuer", code="issuer_mismatch")
        for name in _REQUIRED:
            if not isinstance(doc.get(name), str):
                raise LoginError(f"discovery document lacks {name}", code="discovery_failed")
        for name in _URL_FIELDS:
            if name in doc:
                try:
                    if not isinstance(doc[name], str):
                        raise ConfigurationError("not a string", code="invalid_url")
                    check_url(doc[name])
                except ConfigurationError as exc:
                    raise LoginError(f"{name} is not an acceptable URL",
                                     code="discovery_failed") from exc
        return doc

    def get(self, name: str) -> Any:
        """One metadata value (``None`` when absent)."""
        return self.document().get(name)

    def endpoint(self, name: str) -> str:
        """A required endpoint URL.

        :raises LoginError: ``not_supported`` when the provider has none.
        """
        url = self.document().get(name)
        if not isinstance(url, str):
            raise LoginError(f"the provider has no {name}", code="not_supported")
        return url
