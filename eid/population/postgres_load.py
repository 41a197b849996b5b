"""Loading a whole registry into PostgreSQL: ``eid population generate --database-url``.

One transaction, so the registry the service reads is replaced whole or not at
all (a failure or a killed loader rolls back and leaves the previous registry
as it was):

1. a fresh table (``citizens_next``) is filled with ``COPY ... FREEZE`` (the
   table is new in this transaction, so rows are written frozen and never
   rewritten by a later vacuum);
2. the primary key and indexes are built *after* the load (one sort each
   instead of upkeep per row) and the table is ``ANALYZE``d, so the planner
   knows its size from the first query;
3. the old table is dropped and the new one renamed into its place: readers
   keep reading the old registry until this last, brief step (it waits for
   their statements, they wait for its commit).

A transaction-level advisory lock keeps two loads (or a load and a service
creating an empty test registry) from interleaving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import psycopg
from psycopg import sql

from eid.errors import StorageError
from eid.population.generator import DEFAULT_PROVINCES, Progress, chunk_rows, plan
from eid.population.postgres_schema import (
    COLUMNS,
    META,
    REGISTRY_LOCK,
    SCHEMA_VERSION,
    TABLE,
    create_indexes,
    create_meta,
    create_table,
    rename_indexes,
)
from eid.population.sqlite_schema import Row
from eid.storage.postgres_url import require_postgres

__all__ = ["generate_to_postgres", "load_rows"]

_NEXT = f"{TABLE}_next"
# Sorting for the index builds: PostgreSQL's default (64 MB) spills a 10-million-row sort
# to disk many times over.
_MAINTENANCE_MEMORY = "1GB"


def load_rows(url: str, chunks: Iterable[Sequence[Row]], meta: Mapping[str, str], *,
              progress: Progress | None = None) -> int:
    """Replace the registry at ``url`` with ``chunks`` of rows, in one transaction.

    :returns: how many rows were loaded.
    :raises ConfigurationError: ``invalid_url``, ``missing_dependency``.
    :raises StorageError: ``duplicate_id_number``; ``write_failed`` (the server failed
        or went away); nothing is changed either way.
    """
    require_postgres(url)
    done = 0
    try:
        with psycopg.connect(url, connect_timeout=10, application_name="eid load") as conn:
            conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(
                sql.Literal(_MAINTENANCE_MEMORY)))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRY_LOCK,))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(_NEXT)))
            create_table(conn, _NEXT)
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FREEZE)").format(
                sql.Identifier(_NEXT), sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for rows in chunks:
                    for row in rows:
                        copy.write_row(row)
                    done += len(rows)
                    if progress:
                        progress.update(done)
            if progress:
                progress.message("building indexes")
            create_indexes(conn, _NEXT)
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(_NEXT)))
            old = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
            if old is not None and old[0] is not None:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(TABLE)))
            conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(_NEXT), sql.Identifier(TABLE)))
            rename_indexes(conn, _NEXT, TABLE)
            create_meta(conn)
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(META)))
            with conn.cursor() as cur:
                cur.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(
                    sql.Identifier(META)),
                    [("schema_version", SCHEMA_VERSION), *sorted(meta.items())])
    except psycopg.errors.UniqueViolation as exc:
        raise StorageError(f"an ID number occurs twice: {exc}",
                           code="duplicate_id_number") from exc
    except psycopg.Error as exc:
        raise StorageError(f"could not load the registry: {exc}", code="write_failed") from exc
    return done


def generate_to_postgres(
    url: str,
    *,
    people: int,
    seed: str | int = 1,
    provinces: Sequence[int] = DEFAULT_PROVINCES,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Replace the registry at ``url`` with ``people`` synthetic citizens: the same
    people :func:`~eid.population.generator.generate` writes to a file for the same
    seed and provinces, streamed into ``COPY`` as worker processes make them.

    :returns: how many were loaded.
    :raises ConfigurationError: ``bad_people``, ``unknown_province``, ``invalid_url``,
        ``missing_dependency``.
    :raises StorageError: see :func:`load_rows`.
    """
    require_postgres(url)
    specs, meta = plan(people, seed, provinces)
    return load_rows(url, chunk_rows(specs, workers), meta, progress=progress)
