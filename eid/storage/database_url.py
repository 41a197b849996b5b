"""Choosing the durable store from ``EID_DATABASE_URL``: PostgreSQL, with a clear error
when the URL is not one or the ``postgres`` extra is not installed.

Above :mod:`eid.storage.postgres_durable`, which needs psycopg; this module does not.
"""

from __future__ import annotations

import importlib.util

from eid.errors import ConfigurationError
from eid.storage.durable import DurableStore

__all__ = ["durable_store_from_url", "is_postgres_url", "require_postgres"]


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return url.split(":", 1)[0] in ("postgresql", "postgres")


def require_postgres(url: str) -> None:
    """Check that ``url`` names a PostgreSQL database and that psycopg is installed.

    :raises ConfigurationError: ``invalid_url`` for another scheme;
        ``missing_dependency`` without ``pip install 'eid[postgres]'``.
    """
    if not is_postgres_url(url):
        # Never echo the URL whole: it may carry a password.
        raise ConfigurationError(
            f"not a PostgreSQL URL (postgresql://...): {url.rsplit('@', maxsplit=1)[-1]!r}",
            code="invalid_url")
    if importlib.util.find_spec("psycopg") is None \
            or importlib.util.find_spec("psycopg_pool") is None:
        raise ConfigurationError(
            "a postgresql:// database URL needs psycopg 3 and psycopg_pool:"
            " pip install 'eid[postgres]'", code="missing_dependency")


def durable_store_from_url(url: str) -> DurableStore:
    """The PostgreSQL durable store at ``url``.

    :raises ConfigurationError: see :func:`require_postgres`.
    :raises StorageError: ``storage_unavailable``, ``schema_mismatch``.
    """
    require_postgres(url)
    from eid.storage.postgres_durable import PostgresDurableStore

    return PostgresDurableStore(url)
