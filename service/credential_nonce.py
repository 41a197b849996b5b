"""OpenID4VCI ``c_nonce`` values (§7) that cost the issuer nothing until one is used.

The nonce endpoint answers anyone (§7.1: no client authentication). A nonce remembered
when handed out would let anyone fill the short-lived store just by asking, a key per
request for two minutes each. So a nonce carries its own proof instead: when it was made,
16 random bytes, and an HMAC-SHA256 of both under an instance secret (every worker of the
instance shares it, as for DPoP nonces). Only a nonce that is *used* is stored, for as
long as it would still pass, so that each serves one Credential Request (§7, Appendix
F.1); a forged, expired or future one is refused before the store is touched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from eid.errors import ConfigurationError, EidError
from eid.verify._codec import b64url_decode, b64url_encode

__all__ = ["C_NONCE_TTL", "CNonces"]

#: Seconds a ``c_nonce`` may wait for its Credential Request (§7: short-lived).
C_NONCE_TTL: Final = 120

_MADE_BYTES: Final = 8
_RANDOM_BYTES: Final = 16
_MAC_BYTES: Final = 16  # 128 bits: forging one is a 2^128 guess
_LENGTH: Final = _MADE_BYTES + _RANDOM_BYTES + _MAC_BYTES
#: Seconds a nonce may seem to come from the future (workers' clocks differ a little).
_LEEWAY: Final = 5


class CNonces:
    """Makes and checks the ``c_nonce`` values of one issuer (its workers share ``secret``)."""

    __slots__ = ("_secret", "_ttl")

    def __init__(self, secret: bytes, *, ttl: int = C_NONCE_TTL) -> None:
        if len(secret) < 16 or ttl <= 0:
            raise ConfigurationError("a c_nonce secret needs 16 bytes and a positive ttl",
                                     code="invalid_argument")
        self._secret, self._ttl = secret, ttl

    def _mac(self, body: bytes) -> bytes:
        return hmac.digest(self._secret, b"c-nonce:" + body, hashlib.sha256)[:_MAC_BYTES]

    def new(self, now: float) -> str:
        """A fresh nonce, valid for ``ttl`` seconds from ``now``."""
        body = int(now).to_bytes(_MADE_BYTES, "big") + secrets.token_bytes(_RANDOM_BYTES)
        return b64url_encode(body + self._mac(body))

    def expires(self, nonce: str, now: float) -> int | None:
        """When ``nonce`` stops being valid, if this issuer made it and it is still valid
        at ``now``; else ``None``. Says nothing of whether it was used already."""
        if len(nonce) > 2 * _LENGTH:
            return None
        try:
            raw = b64url_decode(nonce, "c_nonce")
        except EidError:
            return None
        if len(raw) != _LENGTH:
            return None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        made = int.from_bytes(body[:_MADE_BYTES], "big")
        if not made - _LEEWAY <= now < made + self._ttl:
            return None
        return made + self._ttl
