"""Whether a URL names a PostgreSQL database, and whether the driver for it is installed.

Below everything that talks to PostgreSQL (:mod:`eid.storage.postgres_pool`) and
everything that chooses a store from a URL (:mod:`eid.storage.database_url`, the
service's settings); it imports no driver itself.
"""

from __future__ import annotations

import importlib.util

from eid.errors import ConfigurationError

__all__ = ["is_postgres_url", "require_postgres"]


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
