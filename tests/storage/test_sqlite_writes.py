"""Group commit (eid.storage.sqlite_writes): writers that queue meanwhile share a COMMIT,
each write still succeeds or fails on its own, and a failed COMMIT fails them all."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eid.errors import StorageError
from eid.storage.sqlite_writes import GroupCommit


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE t (v INTEGER, parent INTEGER REFERENCES parent (id)"
                 " DEFERRABLE INITIALLY DEFERRED)")
    yield conn
    conn.close()


def _insert(v: int, parent: int | None = None) -> Callable[[sqlite3.Connection], int]:
    def run(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO t VALUES (?, ?)", (v, parent))
        return v
    return run


def _fail(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO t VALUES (99, NULL)")
    raise ValueError("refused")


def _in_one_batch(db: sqlite3.Connection, writes: list[Callable[[sqlite3.Connection], Any]]
                  ) -> tuple[list[Any], list[str]]:
    """Run ``writes`` from threads while a first write holds the connection, so that they
    all queue and commit together; returns each one's result (or exception) and the
    statements SQLite ran."""
    lock = threading.Lock()
    commits = GroupCommit(db, lock)
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    results: list[Any] = [None] * len(writes)

    def writer(i: int) -> None:
        try:
            results[i] = commits.write(writes[i])
        except Exception as exc:  # the result under test
            results[i] = exc

    with lock:  # as a reader would: the first committer waits for it, the rest queue
        first = threading.Thread(target=commits.write, args=(_insert(0),))
        first.start()
        while not commits._committing:  # waiting for the queue to form
            time.sleep(0.001)
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(writes))]
        for t in threads:
            t.start()
        while len(commits._queue) < len(writes):
            time.sleep(0.001)
    first.join()
    for t in threads:
        t.join()
    db.set_trace_callback(None)
    return results, statements


def test_writers_queued_behind_a_commit_share_the_next_one(db: sqlite3.Connection) -> None:
    results, statements = _in_one_batch(db, [_insert(v) for v in range(1, 9)])
    assert results == list(range(1, 9))
    assert statements.count("COMMIT") == 2  # the first write's, then the other eight's
    assert sorted(r[0] for r in db.execute("SELECT v FROM t")) == list(range(9))


def test_a_failing_write_rolls_back_alone(db: sqlite3.Connection) -> None:
    results, _ = _in_one_batch(db, [_insert(1), _fail, _insert(2)])
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], ValueError)
    assert sorted(r[0] for r in db.execute("SELECT v FROM t")) == [0, 1, 2]


def test_a_failed_commit_fails_every_write_of_the_batch(db: sqlite3.Connection) -> None:
    # The deferred foreign key is checked at COMMIT: the batch cannot commit.
    results, _ = _in_one_batch(db, [_insert(1), _insert(2, parent=7)])
    assert all(isinstance(r, StorageError) and r.code == "storage_unavailable"
               for r in results)
    assert [r[0] for r in db.execute("SELECT v FROM t")] == [0]
    assert not db.in_transaction


def test_a_write_alone_commits_at_once(db: sqlite3.Connection) -> None:
    commits = GroupCommit(db, threading.Lock())
    assert commits.write(_insert(5)) == 5
    assert not db.in_transaction
    assert [r[0] for r in db.execute("SELECT v FROM t")] == [5]


def _alone(db: sqlite3.Connection, write: Callable[[sqlite3.Connection], Any]
           ) -> tuple[Any, list[str]]:
    commits = GroupCommit(db, threading.Lock())
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        result: Any = commits.write(write)
    except Exception as exc:  # the result under test
        result = exc
    db.set_trace_callback(None)
    return result, statements


def test_a_write_alone_takes_no_savepoint(db: sqlite3.Connection) -> None:
    result, statements = _alone(db, _insert(5))
    assert result == 5
    assert statements == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (5, NULL)", "COMMIT"]


@pytest.mark.parametrize("write, error", [
    (_fail, ValueError),
    (_insert(1, parent=7), None),  # fails at COMMIT: the deferred foreign key
    (lambda db: db.execute("INSERT INTO nowhere VALUES (1)"), StorageError),
], ids=["the write raises", "its commit fails", "SQLite refuses it"])
def test_a_failing_write_alone_leaves_nothing_and_no_transaction(
        db: sqlite3.Connection, write: Callable[[sqlite3.Connection], Any],
        error: type[Exception] | None) -> None:
    result, statements = _alone(db, write)
    assert isinstance(result, error or StorageError)
    if isinstance(result, StorageError):
        assert result.code == "storage_unavailable"
    assert statements[-1] == "ROLLBACK" and "SAVEPOINT write" not in statements
    assert not db.in_transaction
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)
