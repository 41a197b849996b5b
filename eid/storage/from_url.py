"""Choosing the short-lived store from a URL: memory when none is given, else Redis.

Above :mod:`eid.storage.memory` and :mod:`eid.storage.redis`, which know only
the protocol (:mod:`eid.storage.ephemeral`) they implement.
"""

from __future__ import annotations

from eid.storage.ephemeral import EphemeralStore
from eid.storage.memory import MemoryStore
from eid.storage.redis_url import parse_redis_url

__all__ = ["ephemeral_store_from_url"]


def ephemeral_store_from_url(url: str | None, *, prefix: str = "eid:") -> EphemeralStore:
    """Memory without a URL, else the Redis that ``url`` names: one server
    (``redis://``, ``rediss://``, ``unix://``), a Sentinel-watched master
    (``redis+sentinel://``) or a Redis Cluster (``redis+cluster://``); see
    :mod:`eid.storage.redis_url`.

    :raises ConfigurationError: ``invalid_url`` for any other scheme or a malformed URL.
    """
    if not url:
        return MemoryStore()
    target = parse_redis_url(url)  # checked before the optional redis client is imported
    # Imported here: the redis client is an optional dependency of the library.
    from eid.storage.redis import RedisStore

    return RedisStore(target, prefix=prefix)
