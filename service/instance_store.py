"""The durable store an operator's command works on: the instance's, never a new one.

``EID_DATABASE_URL`` (the instances' shared PostgreSQL) if set, else the SQLite file
``EID_INSTANCE``/``eid.sqlite``; ``--instance PATH`` overrides both. Shared by the
commands that manage what a running service keeps (``eid keys``, ``eid audit``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eid.errors import ConfigurationError, DataFileMissing
from eid.storage import DurableStore, SqliteDurableStore, durable_store_from_url
from service.config import Settings

__all__ = ["instance_settings", "open_instance_store"]


def instance_settings(instance: str | None) -> Settings:
    """The settings from the environment, with ``--instance`` taking precedence."""
    overrides: dict[str, Any] = {}
    if instance is not None:
        overrides = {"instance": Path(instance), "durable_path": None, "database_url": None}
    return Settings.from_env(**overrides)


def open_instance_store(settings: Settings) -> DurableStore:
    """The existing store: never a new, empty one (a mistyped path is an error).

    :raises ConfigurationError: ``invalid_setting`` for an in-memory store.
    :raises DataFileMissing: no database at the path, or not readable and writable.
    :raises StorageError: ``insecure_key_file``, ``storage_unavailable``.
    """
    if settings.database_url is not None:  # EID_DATABASE_URL: the instances' shared store
        return durable_store_from_url(settings.database_url)
    if settings.durable_path == ":memory:":
        raise ConfigurationError("the store is in memory: there is nothing to manage",
                                 code="invalid_setting")
    path = Path(settings.durable_path or settings.instance / "eid.sqlite")
    if not path.is_file():
        raise DataFileMissing(f"no instance database at {path}: start `eid serve` there once, "
                              "or pass --instance (or EID_INSTANCE)", source=str(path))
    if not os.access(path, os.R_OK | os.W_OK):
        raise DataFileMissing(f"cannot read and write {path}: run as the service's user "
                              "(the file is owner-only: it holds the private keys)",
                              source=str(path))
    return SqliteDurableStore(path)  # refuses a file others can read (insecure_key_file)
