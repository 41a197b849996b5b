"""eid/storage/sqlite_open.py: several processes opening one new SQLite file at once (the
workers of ``eid serve`` on a fresh instance) all open it."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from eid.storage import SqliteDurableStore
from eid.storage.sqlite_open import create_schema, switch_to_wal


def _open(path: str, go: multiprocessing.synchronize.Event,
          answers: multiprocessing.queues.Queue[str]) -> None:
    go.wait()
    try:
        SqliteDurableStore(path).instance_secret("session")
        answers.put("ok")
    except Exception as exc:  # reported to the test, whatever it is
        answers.put(repr(exc))


def test_processes_opening_a_new_file_at_once_all_open_it(tmp_path: Path) -> None:
    # Before the retry, about one such start in two lost a process ("database is
    # locked" from the WAL switch); five starts of four processes.
    context = multiprocessing.get_context("fork")
    for start in range(5):
        path = str(tmp_path / f"eid-{start}.sqlite")
        go, answers = context.Event(), context.Queue()
        processes = [context.Process(target=_open, args=(path, go, answers))
                     for _ in range(4)]
        for process in processes:
            process.start()
        time.sleep(0.2)  # all of them waiting on the same start
        go.set()
        for process in processes:
            process.join(timeout=60)
        assert [answers.get(timeout=10) for _ in processes] == ["ok"] * 4
        secrets = {SqliteDurableStore(path).instance_secret("session")}
        assert len(secrets) == 1  # one file, one secret: every process saw the same


def _locked(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def test_the_wal_switch_waits_for_a_process_that_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "eid.sqlite"
    holder = _locked(path)
    threading.Timer(0.3, holder.rollback).start()
    db = sqlite3.connect(path, isolation_level=None, timeout=0)
    switch_to_wal(db, patience=10)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_wal_switch_gives_up_after_its_patience(tmp_path: Path) -> None:
    path = tmp_path / "eid.sqlite"
    holder = _locked(path)
    db = sqlite3.connect(path, isolation_level=None, timeout=0)
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        switch_to_wal(db, patience=0.3)
    assert time.monotonic() - began < 5
    holder.rollback()


def test_another_error_is_not_retried(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "eid.sqlite")
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        switch_to_wal(db, patience=10)


def test_a_failing_schema_leaves_no_transaction_and_nothing_created(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "eid.sqlite", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        create_schema(db, "CREATE TABLE a (x); CREATE TABLE oops (;")
    assert not db.in_transaction
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
