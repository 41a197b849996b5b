"""Server-provided DPoP nonces (RFC 9449 §8, §9), stateless across workers.

A nonce is an HMAC of the current time step under an instance secret: every worker
that shares the secret computes the same nonce, so nothing is stored and a proof
made with a nonce from one worker passes at another. The nonce of the previous step
is accepted too, so a portal that fetched one just before the step changed is not
sent round again (§8.2: the server decides how long a nonce stays valid).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from eid.errors import ConfigurationError
from eid.verify._codec import b64url_encode

__all__ = ["DPOP_NONCE_PERIOD", "DpopNonces"]

#: Seconds per nonce step: a nonce lives between one and two steps.
DPOP_NONCE_PERIOD: Final = 300


class DpopNonces:
    """Issues and checks nonces for one provider (all its workers share ``secret``)."""

    __slots__ = ("_period", "_secret")

    def __init__(self, secret: bytes, *, period: int = DPOP_NONCE_PERIOD) -> None:
        if len(secret) < 16 or period <= 0:
            raise ConfigurationError("a DPoP nonce secret needs 16 bytes and a positive period",
                                     code="invalid_argument")
        self._secret, self._period = secret, period

    def _at(self, step: int) -> str:
        mac = hmac.new(self._secret, b"dpop-nonce:%d" % step, hashlib.sha256).digest()
        return b64url_encode(mac[:18])

    def current(self, now: float) -> str:
        """The nonce to hand out in ``DPoP-Nonce`` at ``now``."""
        return self._at(int(now // self._period))

    def valid(self, nonce: str, now: float) -> bool:
        """Whether ``nonce`` is the current or the previous step's (constant time)."""
        step = int(now // self._period)
        given = nonce.encode("utf-8", "surrogatepass")
        # Both compared, always: the time taken says nothing about which one matched.
        ok = [hmac.compare_digest(given, self._at(s).encode()) for s in (step, step - 1)]
        return any(ok)
