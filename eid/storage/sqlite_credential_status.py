"""Credential status in the SQLite durable store (see :mod:`eid.storage.credential_status`).

A mixin of :class:`~eid.storage.sqlite_durable.SqliteDurableStore`: allocations go
through the store's group commit, reads through its reader connection.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from eid.storage.credential_status import (
    CREDENTIAL_STATUS_INSERT,
    CREDENTIAL_STATUS_SWEEP,
    REVOKED_CREDENTIALS,
    SWEEP_BATCH,
    SWEEP_GRACE,
)

if TYPE_CHECKING:
    from eid.storage.sqlite_writes import GroupCommit

__all__ = ["CREDENTIAL_STATUS_EXPIRY_INDEX", "CREDENTIAL_STATUS_SCHEMA",
           "SqliteCredentialStatus"]

#: ``idx`` is the rowid: allocated in the group commit's ``BEGIN IMMEDIATE``, so every
#: process gets its own, from 1 up; AUTOINCREMENT: never one of a removed entry again.
#: ``expires_at`` came later (an older file gets it on open, see sqlite_durable), hence
#: its index is created there.
CREDENTIAL_STATUS_SCHEMA = """
CREATE TABLE IF NOT EXISTS credential_status (
    idx INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, client_id TEXT NOT NULL,
    epoch INTEGER NOT NULL, expires_at REAL
);
CREATE INDEX IF NOT EXISTS credential_status_by_pair ON credential_status (subject, client_id);
"""
#: Made after the columns are migrated (SqliteDurableStore._migrate).
CREDENTIAL_STATUS_EXPIRY_INDEX = ("CREATE INDEX IF NOT EXISTS credential_status_by_expiry"
                                  " ON credential_status (expires_at)")


class SqliteCredentialStatus:
    """The credential-status methods of the :class:`~eid.storage.durable.DurableStore`
    protocol."""

    if TYPE_CHECKING:
        _writes: GroupCommit

        def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def add_credential_status(self, subject: str, client_id: str, grant_id: str, *,
                              expires_at: float, now: float) -> int | None:
        def write(db: sqlite3.Connection) -> int | None:
            db.execute(CREDENTIAL_STATUS_SWEEP, (now - SWEEP_GRACE, SWEEP_BATCH))
            row = db.execute(CREDENTIAL_STATUS_INSERT, (subject, client_id, expires_at,
                                                        subject, client_id, grant_id)).fetchone()
            return None if row is None else int(row[0])
        return self._writes.write(write)

    def credential_statuses(self) -> tuple[int, list[int]]:
        with self._read() as db:
            top = db.execute("SELECT MAX(idx) FROM credential_status").fetchone()[0]
            revoked = [int(r[0]) for r in db.execute(REVOKED_CREDENTIALS)]
        return (0 if top is None else int(top) + 1), revoked
