"""The status of the credentials this service issued, as one Token Status List
(draft-ietf-oauth-status-list; encoding in :mod:`eid.credentials.status`, storage in
:mod:`eid.storage.credential_status`).

Why a status list and a lifetime both: a receiving office that can reach the service
fetches the list and sees a withdrawn consent within :data:`STATUS_TTL` +
:data:`REBUILD_INTERVAL` seconds; one verifying offline with a pinned key file cannot,
and for it the credential's own ``exp`` (``Settings.credential_ttl``) is the bound. The
list is public: bits only, no personal data, and every credential's bit sits among all
the others'.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from eid.credentials.status import status_list_token
from service.provider import Provider

__all__ = ["MIN_LIST_SIZE", "REBUILD_INTERVAL", "STATUS_LIST_PATH", "STATUS_TTL",
           "StatusListCache", "status_claim", "status_list_jwt", "status_list_uri"]

#: Where the one list is served (a path under the issuer).
STATUS_LIST_PATH: Final = "/statuslists/1"
#: Seconds a verifier may cache the list (``ttl``, §5.1; also its HTTP max-age).
STATUS_TTL: Final = 60
#: Seconds a worker serves the token it signed before building another: the endpoint is
#: public, so a flood of requests costs one query and one signature per interval.
REBUILD_INTERVAL: Final = 10
#: The token's own lifetime: a cached copy older than this is not to be trusted.
_LIST_LIFETIME: Final = 3600
#: The list never has fewer entries than this (2 KiB of bits, a few dozen bytes
#: compressed), so a short list does not tell how few credentials exist (the
#: draft's privacy considerations: herd privacy).
MIN_LIST_SIZE: Final = 16_384
_ALG: Final = "ES256"


def status_list_uri(p: Provider) -> str:
    """The list's URI: what credentials name and what its token's ``sub`` says."""
    return f"{p.issuer}{STATUS_LIST_PATH}"


def status_claim(p: Provider, idx: int) -> dict[str, Any]:
    """A credential's ``status`` claim (§6.1) for the index it was given."""
    return {"status_list": {"idx": idx, "uri": status_list_uri(p)}}


def _size(allocated: int) -> int:
    # Grown in powers of two: the size tells the issuance count to a factor of two only.
    size = MIN_LIST_SIZE
    while size < allocated:
        size *= 2
    return size


def status_list_jwt(p: Provider) -> str:
    """The current Status List Token, signed now by the key store's ES256 key."""
    allocated, revoked = p.durable.credential_statuses()
    iat = int(p.now())
    return status_list_token(key=p.keys.signing_key(_ALG), uri=status_list_uri(p),
                             size=_size(allocated), invalid=revoked, iat=iat,
                             exp=iat + _LIST_LIFETIME, ttl=STATUS_TTL)


class StatusListCache:
    """One worker's current Status List Token, rebuilt at most every
    :data:`REBUILD_INTERVAL` seconds (concurrent requests wait for one build)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._until = 0.0

    def token(self, p: Provider) -> str:
        """The token, signed at most :data:`REBUILD_INTERVAL` seconds ago."""
        with self._lock:
            now = p.now()
            if self._token is None or not now < self._until:
                self._token = status_list_jwt(p)
                self._until = now + REBUILD_INTERVAL
            return self._token
