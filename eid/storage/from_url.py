"""Choosing the short-lived store from a URL: memory when none is given, else Redis.

Above :mod:`eid.storage.memory` and :mod:`eid.storage.redis`, which know only
the protocol (:mod:`eid.storage.ephemeral`) they implement.
"""

from __future__ import annotations

from eid.errors import ConfigurationError
from eid.storage.ephemeral import EphemeralStore
from eid.storage.memory import MemoryStore

__all__ = ["ephemeral_store_from_url"]


def ephemeral_store_from_url(url: str | None, *, prefix: str = "eid:") -> EphemeralStore:
    """A Redis store for ``redis://`` / ``rediss://`` / ``unix://`` URLs, else memory.

    :raises ConfigurationError: ``invalid_url`` for any other scheme.
    """
    if not url:
        return MemoryStore()
    if url.split(":", 1)[0] not in ("redis", "rediss", "unix"):
        raise ConfigurationError(f"not a Redis URL: {url!r}", code="invalid_url")
    # Imported here: the redis client is an optional dependency of the library.
    from eid.storage.redis import RedisStore

    return RedisStore.from_url(url, prefix=prefix)
