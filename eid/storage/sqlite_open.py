"""Opening one SQLite file from several processes at once (the workers of ``eid serve``).

Two steps of opening take the file for themselves, and SQLite does not wait for them
as it waits for an ordinary writer (its busy timeout):

* switching a new file to WAL (``PRAGMA journal_mode=WAL``) needs every other
  connection out of the file; while another process is switching or creating it,
  SQLite answers ``SQLITE_BUSY`` at once ("database is locked"). Seen as a worker that
  exited at start-up when two booted on a fresh instance, and was respawned;
* creating the schema in autocommit mode reads, then writes, statement by statement:
  a statement that began reading before another process's write may not write.

So the switch is retried, with short sleeps, for a bounded time, and the schema is
created in one ``BEGIN IMMEDIATE`` transaction, which waits for the write lock under
the busy timeout like every other write.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Final

__all__ = ["OPEN_PATIENCE", "create_schema", "switch_to_wal"]

#: How long (seconds) opening waits for the other processes opening the same file.
OPEN_PATIENCE: Final = 10.0
_BUSY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _busy(exc: sqlite3.OperationalError) -> bool:
    # The primary result code is the low byte of an extended one (SQLITE_BUSY_SNAPSHOT...).
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _BUSY


def switch_to_wal(db: sqlite3.Connection, *, patience: float = OPEN_PATIENCE) -> None:
    """Put ``db``'s file in WAL mode, waiting up to ``patience`` seconds for other
    processes that hold it at that moment.

    :raises sqlite3.OperationalError: still busy after ``patience``, or any other error.
    """
    deadline = time.monotonic() + patience
    pause = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def create_schema(db: sqlite3.Connection, script: str) -> None:
    """Run ``script`` (``CREATE ... IF NOT EXISTS`` statements) in one write transaction.

    :raises sqlite3.Error: the script failed (its transaction is rolled back).
    """
    try:
        db.executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")
    except sqlite3.Error:
        if db.in_transaction:
            db.rollback()
        raise
