"""The durable-store backends every contract test runs on: SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eid.storage import DurableStore, PostgresDurableStore, SqliteDurableStore

T = TypeVar("T")


def race(work: Callable[[], T], times: int, *, timeout: float = 30
         ) -> tuple[list[T], list[BaseException]]:
    """Run ``work`` in ``times`` threads released at once; what they returned, and what
    they raised (reported, not lost in a thread)."""
    start = threading.Barrier(times)
    results: list[T] = []
    failures: list[BaseException] = []

    def one() -> None:
        start.wait(timeout=10)
        try:
            results.append(work())
        except BaseException as exc:  # handed to the caller's assertions
            failures.append(exc)

    threads = [threading.Thread(target=one) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results, failures


@dataclass
class DurableBackend:
    """Opens stores on one backing database: each :meth:`open` is another connection (or
    another instance of the service), all seeing the same data."""

    name: str
    _open: Callable[[], Any]
    _raw: Callable[[str, tuple[Any, ...]], None]
    opened: list[Any] = field(default_factory=list)

    def open(self) -> DurableStore:
        store = self._open()
        self.opened.append(store)
        store_: DurableStore = store
        return store_

    def raw(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run one statement (``?`` placeholders) on the database behind the store's back."""
        self._raw(sql, params)


def _sqlite(path: Path) -> DurableBackend:
    import sqlite3

    def raw(sql: str, params: tuple[Any, ...]) -> None:
        with sqlite3.connect(path) as db:
            db.execute(sql, params)
        db.close()

    return DurableBackend("sqlite", lambda: SqliteDurableStore(path), raw)


def _postgres(url: str) -> DurableBackend:
    import psycopg

    def raw(sql: str, params: tuple[Any, ...]) -> None:
        with psycopg.connect(url) as db:
            db.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]

    return DurableBackend("postgres", lambda: PostgresDurableStore(url), raw)


@pytest.fixture(params=["sqlite", "postgres"])
def durable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DurableBackend]:
    if request.param == "sqlite":
        backend = _sqlite(tmp_path / "durable.sqlite")
    else:
        backend = _postgres(request.getfixturevalue("postgres_url"))
    yield backend
    for store in backend.opened:
        store.close()


@pytest.fixture
def store(durable_backend: DurableBackend) -> DurableStore:
    """A store on a fresh database of the backend."""
    return durable_backend.open()
