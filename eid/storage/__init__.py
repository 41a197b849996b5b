"""Storage behind small protocols, each with an embedded default.

Short-lived state (sessions, authorization codes, login-attempt counters,
consumed-code markers) lives in an :class:`EphemeralStore`: in memory by
default, in Redis (single, Sentinel or Cluster) when a URL names one
(:func:`ephemeral_store_from_url`); keys are named by :func:`tagged`.
Durable state (keys, consents, grants) is a :class:`DurableStore`: a SQLite
file by default, PostgreSQL when ``EID_DATABASE_URL`` names one
(:func:`durable_store_from_url`).
"""

from __future__ import annotations

from eid.storage.database_url import durable_store_from_url
from eid.storage.durable import DurableStore
from eid.storage.ephemeral import EphemeralStore
from eid.storage.from_url import ephemeral_store_from_url
from eid.storage.keys import tagged
from eid.storage.memory import MemoryStore
from eid.storage.private_files import make_private_folder, prepare_private_file
from eid.storage.records import (
    AccessEntry,
    Consent,
    Grant,
    LogoutNotice,
    RegisteredClient,
    StoredCheckpoint,
    StoredKey,
)
from eid.storage.sqlite_durable import SqliteDurableStore

__all__ = [
    "AccessEntry",
    "Consent",
    "DurableStore",
    "EphemeralStore",
    "Grant",
    "LogoutNotice",
    "MemoryStore",
    "PostgresDurableStore",
    "RedisStore",
    "RegisteredClient",
    "SqliteDurableStore",
    "StoredCheckpoint",
    "StoredKey",
    "durable_store_from_url",
    "ephemeral_store_from_url",
    "make_private_folder",
    "prepare_private_file",
    "tagged",
]


def __getattr__(name: str) -> object:
    # Imported lazily: the redis client is an optional dependency of the library.
    if name == "RedisStore":
        from eid.storage.redis import RedisStore

        return RedisStore
    # Likewise psycopg, for the PostgreSQL durable store.
    if name == "PostgresDurableStore":
        from eid.storage.postgres_durable import PostgresDurableStore

        return PostgresDurableStore
    raise AttributeError(name)
