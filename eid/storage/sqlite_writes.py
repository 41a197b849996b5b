"""Group commit for one SQLite connection: concurrent writers share one ``COMMIT``.

A durable commit costs an fsync of the write-ahead log, and on the machines measured
that costs more CPU than everything else a login flow asks of SQLite (bench/HISTORY.md,
round 1: about 0.35 ms of kernel time per commit on the benchmark machine). Writers that
arrive while a commit is under way therefore queue; the next of them to take the connection
runs the whole queue in one transaction, each write in its own ``SAVEPOINT`` (a write
that fails rolls back alone; a write alone in its batch needs none), and commits once.
Each writer gets its result, or its error, only after the ``COMMIT`` that made its write
durable: nothing is acknowledged earlier than before, it is only fsynced together. Writes
run in arrival order, each seeing the ones before it, exactly as if they had committed
one by one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from eid.errors import StorageError

__all__ = ["GroupCommit"]

T = TypeVar("T")


@dataclass(slots=True)
class _Write:
    run: Callable[[sqlite3.Connection], Any]
    done: bool = False
    result: Any = None
    error: BaseException | None = None


def _failed(exc: sqlite3.Error) -> StorageError:
    return StorageError(f"SQLite failed: {exc}", code="storage_unavailable")


class GroupCommit:
    """Writes on ``db``, serialised by ``lock`` (which readers of ``db`` take too, so no
    read ever sees a transaction that is not committed yet)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock
        self._queue: list[_Write] = []
        self._changed = threading.Condition()
        self._committing = False

    def write(self, run: Callable[[sqlite3.Connection], T]) -> T:
        """``run(db)`` inside a write transaction; its result once committed.

        :raises StorageError: ``storage_unavailable`` when SQLite fails (the write is
            rolled back); whatever ``run`` raises (its write is rolled back, the others'
            are not).
        """
        job = _Write(run)
        with self._changed:
            self._queue.append(job)
            while self._committing and not job.done:
                self._changed.wait()
            if not job.done:
                self._committing = True  # this writer commits the queue
                batch, self._queue = self._queue, []
        if not job.done:
            try:
                with self._lock:
                    self._commit(batch)
            finally:
                with self._changed:
                    self._committing = False
                    self._changed.notify_all()
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def _commit(self, batch: list[_Write]) -> None:
        db = self._db
        # A write alone in its batch needs no savepoint: its failure rolls back the whole
        # transaction, which is only its own (and commits nothing, not an empty COMMIT).
        alone = len(batch) == 1
        try:
            db.execute("BEGIN IMMEDIATE")
            for job in batch:
                if not alone:
                    db.execute("SAVEPOINT write")
                try:
                    job.result = job.run(db)
                except Exception as exc:
                    job.error = _failed(exc) if isinstance(exc, sqlite3.Error) else exc
                    if alone:
                        db.execute("ROLLBACK")
                        return
                    db.execute("ROLLBACK TO write")
                if not alone:
                    db.execute("RELEASE write")
            db.execute("COMMIT")
        except BaseException as exc:
            # BEGIN (another process kept the write lock past the busy timeout), a
            # savepoint or the COMMIT failed, or this thread was interrupted: nothing of
            # the batch is kept, and every writer hears so.
            for job in batch:
                job.result = None
                job.error = job.error or (
                    _failed(exc) if isinstance(exc, sqlite3.Error)
                    else StorageError("the write was interrupted", code="storage_unavailable"))
            if db.in_transaction:
                db.execute("ROLLBACK")
            if not isinstance(exc, sqlite3.Error):
                raise
        finally:
            for job in batch:
                job.done = True
