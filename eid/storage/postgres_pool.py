"""A bounded psycopg 3 connection pool, and the one place PostgreSQL errors become ours.

Shared by the PostgreSQL durable store (:mod:`eid.storage.postgres_durable`) and
registry (:mod:`eid.population.postgres`). psycopg is an optional dependency
(``pip install 'eid[postgres]'``): only modules that talk to PostgreSQL import
this one.

What keeps a login service alive next to a database that restarts or stalls:

* the pool is bounded (``max_size``), so a burst of requests queues for a
  connection instead of opening hundreds; a request that waits longer than
  ``timeout`` fails with ``storage_unavailable`` (503) rather than hanging;
* every connection is checked when it leaves the pool, so a connection cut by a
  server restart is replaced instead of failing a request: a server that ends a
  session (a restart, an administrator's terminate) says so on its socket, so a
  connection whose socket has something to read, or is not OK, gets the full check
  (:meth:`ConnectionPool.check_connection`: one empty query); an idle healthy one
  has nothing to read and goes out without that round trip, saved per request;
* ``connect_timeout`` bounds opening a connection, ``statement_timeout`` a
  statement, ``idle_in_transaction_session_timeout`` a transaction a dead
  worker left open (its locks would block everybody else).
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool

from eid.errors import ConfigurationError, StorageError
from eid.storage.postgres_url import require_postgres

__all__ = ["PoolSettings", "open_pool", "translate_errors"]


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How many connections, and how long anything may take (seconds)."""

    min_size: int = 1
    max_size: int = 10
    timeout: float = 2.0  # waiting for a free connection: a request fails fast, not hangs
    connect_timeout: float = 5.0
    statement_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ConfigurationError("pool sizes need 1 <= min_size <= max_size",
                                     code="invalid_setting")
        if min(self.timeout, self.connect_timeout, self.statement_timeout) <= 0:
            raise ConfigurationError("pool timeouts must be positive", code="invalid_setting")


def _check(conn: psycopg.Connection[Any]) -> None:
    """The pool's check: a round trip only for a connection that may have been cut."""
    if conn.closed or conn.pgconn.status != psycopg.pq.ConnStatus.OK:
        psycopg_pool.ConnectionPool.check_connection(conn)
        return
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:  # a FATAL notice, EOF or a notification: ask the server
        psycopg_pool.ConnectionPool.check_connection(conn)


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn any psycopg or pool failure inside the block into ``StorageError``
    (``storage_unavailable``): callers never see a driver exception."""
    try:
        yield
    except (psycopg.Error, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:
        raise StorageError(f"{what}: PostgreSQL failed: {exc}",
                           code="storage_unavailable") from exc


def open_pool(url: str, settings: PoolSettings, *, name: str,
              autocommit: bool = False) -> psycopg_pool.ConnectionPool[Any]:
    """Open a pool on ``url`` and wait for its first connection.

    :raises ConfigurationError: ``invalid_url`` when ``url`` is not a PostgreSQL URL.
    :raises StorageError: ``storage_unavailable`` when the server cannot be reached
        within ``connect_timeout``.
    """
    require_postgres(url)
    ms = int(settings.statement_timeout * 1000)
    pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
        url,
        min_size=settings.min_size,
        max_size=settings.max_size,
        timeout=settings.timeout,
        open=False,
        name=name,
        check=_check,
        # Keep retrying a lost server for as long as the service runs: giving up
        # would leave the pool without connections after a long outage.
        reconnect_timeout=float("inf"),
        kwargs={
            "autocommit": autocommit,
            "connect_timeout": max(1, round(settings.connect_timeout)),
            "application_name": f"eid {name}",
            "options": f"-c statement_timeout={ms} -c idle_in_transaction_session_timeout={ms}",
        },
    )
    try:
        pool.open(wait=True, timeout=settings.connect_timeout)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        pool.close()
        raise StorageError(f"cannot connect to PostgreSQL ({name}): {exc}",
                           code="storage_unavailable") from exc
    return pool
