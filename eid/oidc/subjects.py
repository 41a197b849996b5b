"""Pairwise subject identifiers (OpenID Connect Core 1.0 §8.1).

Two portals in different sectors receive different, stable ``sub`` values for
the same citizen, so they cannot correlate people by ``sub``. The value is an
HMAC of the sector and the personal ID number under a provider secret: stable
without storing a table, and not reversible without the secret.
"""

from __future__ import annotations

import hashlib
import hmac

from eid.errors import ConfigurationError
from eid.verify._codec import b64url_encode

__all__ = ["pairwise_subject"]


def pairwise_subject(secret: bytes, sector: str, local_id: str) -> str:
    """The ``sub`` for ``local_id`` (the personal ID number) in ``sector``.

    :raises ConfigurationError: ``invalid_argument`` for a short secret or empty sector.
    """
    if len(secret) < 32:
        raise ConfigurationError("the pairwise secret needs at least 32 bytes",
                                 code="invalid_argument")
    if not sector:
        raise ConfigurationError("a sector identifier is required", code="invalid_argument")
    # Length-prefix the sector so ("ab", "c") and ("a", "bc") can never collide.
    message = f"{len(sector)}:{sector}|{local_id}".encode()
    return b64url_encode(hmac.new(secret, message, hashlib.sha256).digest())
