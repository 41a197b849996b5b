"""Choosing the durable store from ``EID_DATABASE_URL``: PostgreSQL, with a clear error
when the URL is not one or the ``postgres`` extra is not installed.

Above :mod:`eid.storage.postgres_durable`, which needs psycopg; this module does not.
"""

from __future__ import annotations

from eid.storage.durable import DurableStore
from eid.storage.postgres_url import require_postgres

__all__ = ["durable_store_from_url"]


def durable_store_from_url(url: str) -> DurableStore:
    """The PostgreSQL durable store at ``url``.

    :raises ConfigurationError: see :func:`~eid.storage.postgres_url.require_postgres`.
    :raises StorageError: ``storage_unavailable``, ``schema_mismatch``.
    """
    require_postgres(url)
    from eid.storage.postgres_durable import PostgresDurableStore

    return PostgresDurableStore(url)
