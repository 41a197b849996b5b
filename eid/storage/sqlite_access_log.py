"""The data-access log in the SQLite durable store: append-only tables, appends in the
group commit (see :mod:`eid.storage.access_log` for the layout, shared with PostgreSQL).

A mixin of :class:`~eid.storage.sqlite_durable.SqliteDurableStore`: it uses the
store's group commit (an append is durable before it returns, and its ``BEGIN
IMMEDIATE`` serialises appenders across processes) and its reader connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from eid.audit import Node
from eid.errors import StorageError
from eid.storage.access_log import (
    append_rows,
    check_limit,
    check_range,
    entry_of,
    hash_of,
    missing_node,
)
from eid.storage.records import AccessEntry, StoredCheckpoint

if TYPE_CHECKING:
    from eid.storage.sqlite_writes import GroupCommit

__all__ = ["ACCESS_LOG_SCHEMA", "SqliteAccessLog", "nodes_query"]

_TABLES = """
CREATE TABLE IF NOT EXISTS access_log (
    idx INTEGER PRIMARY KEY, citizen TEXT NOT NULL, client_id TEXT NOT NULL,
    entry BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS access_by_citizen ON access_log (citizen, client_id, idx);
CREATE INDEX IF NOT EXISTS access_by_citizen_time ON access_log (citizen, idx);
CREATE TABLE IF NOT EXISTS access_nodes (
    level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_checkpoints (
    size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, signed_at REAL NOT NULL
);
"""
# The log's tables are append-only: a bug (or a careless hand with the sqlite3 shell) that
# changes a row is refused here; one who drops the triggers is caught by `eid audit verify`.
_APPEND_ONLY = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table}"
    f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;\n"
    for table in ("access_log", "access_nodes", "access_checkpoints")
    for verb in ("update", "delete"))
#: The log's tables and triggers, created (if missing) with the store's other tables.
ACCESS_LOG_SCHEMA = _TABLES + _APPEND_ONLY


def nodes_query(count: int) -> str:
    """The SELECT of ``count`` nodes by (level, index). ``(level, idx) IN (VALUES ...)``
    would scan the whole table (SQLite 3.40 plans the row-value IN as a scan with a
    list lookup); CROSS JOIN fixes the order: each wanted pair is one primary-key search.
    A proof names ~2 log2 n nodes, a verify batch about its size: far below SQLite's
    32,766 parameters."""
    values = ", ".join("(?, ?)" for _ in range(count))
    return (f"WITH wanted(level, idx) AS (VALUES {values})"  # noqa: S608 (placeholders only)
            " SELECT n.level, n.idx, n.hash FROM wanted CROSS JOIN access_nodes n"
            " ON n.level = wanted.level AND n.idx = wanted.idx")


class SqliteAccessLog:
    """The log's methods of the :class:`~eid.storage.durable.DurableStore` protocol."""

    if TYPE_CHECKING:
        _writes: GroupCommit

        def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def append_access(self, entry: AccessEntry) -> int:
        def write(db: sqlite3.Connection) -> int:
            # Inside the group commit's BEGIN IMMEDIATE: no other process appends between
            # reading the size and inserting, and the caller hears back after COMMIT.
            row = db.execute("SELECT MAX(idx) FROM access_log").fetchone()
            index = 0 if row[0] is None else int(row[0]) + 1

            def stored(node: Node) -> bytes:
                found = db.execute("SELECT hash FROM access_nodes WHERE level = ? AND idx = ?",
                                   node).fetchone()
                if found is None:
                    raise missing_node(node)
                return hash_of(found[0])

            data, nodes = append_rows(index, entry, stored)
            db.execute("INSERT INTO access_log VALUES (?, ?, ?, ?)",
                       (index, entry.citizen, entry.client_id, data))
            db.executemany("INSERT INTO access_nodes VALUES (?, ?, ?)", nodes)
            return index
        return self._writes.write(write)

    def access_size(self) -> int:
        with self._read() as db:
            row = db.execute("SELECT MAX(idx) FROM access_log").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def access_entries(self, start: int, stop: int) -> list[AccessEntry]:
        check_range(start, stop)
        with self._read() as db:
            rows = db.execute("SELECT entry FROM access_log WHERE idx >= ? AND idx < ?"
                              " ORDER BY idx", (start, stop)).fetchall()
        return [entry_of(r[0]) for r in rows]

    def citizen_access(self, citizen: str, *, client_id: str | None = None,
                       before: int | None = None,
                       limit: int = 20) -> list[tuple[int, AccessEntry]]:
        check_limit(limit, before)
        query = "SELECT idx, entry FROM access_log WHERE citizen = ?"
        params: list[Any] = [citizen]
        if client_id is not None:
            query += " AND client_id = ?"
            params.append(client_id)
        if before is not None:
            query += " AND idx < ?"
            params.append(before)
        with self._read() as db:
            rows = db.execute(query + " ORDER BY idx DESC LIMIT ?", (*params, limit)).fetchall()
        return [(int(r[0]), entry_of(r[1], citizen)) for r in rows]

    def access_leaves(self, start: int, stop: int) -> list[bytes]:
        check_range(start, stop)
        with self._read() as db:
            rows = db.execute("SELECT hash FROM access_nodes WHERE level = 0 AND idx >= ?"
                              " AND idx < ? ORDER BY idx", (start, stop)).fetchall()
        return [hash_of(r[0]) for r in rows]

    def access_nodes(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        if not nodes:
            return {}
        with self._read() as db:
            rows = db.execute(nodes_query(len(nodes)),
                              [part for node in nodes for part in node]).fetchall()
        return {(int(r[0]), int(r[1])): hash_of(r[2]) for r in rows}

    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            # BEGIN IMMEDIATE: the check and the insert are one step across processes.
            row = db.execute("SELECT MAX(size) FROM access_checkpoints").fetchone()
            if row[0] is not None and int(row[0]) >= checkpoint.size:
                return False
            db.execute("INSERT INTO access_checkpoints VALUES (?, ?, ?, ?)",
                       (checkpoint.size, checkpoint.root, checkpoint.note,
                        checkpoint.signed_at))
            return True
        return self._writes.write(write)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self._read() as db:
            row = db.execute("SELECT size, root, note, signed_at FROM access_checkpoints"
                             " ORDER BY size DESC LIMIT 1").fetchone()
        if row is None:
            return None
        if not isinstance(row[1], bytes) or not isinstance(row[2], str):
            raise StorageError("corrupt checkpoint row", code="corrupt_record")
        return StoredCheckpoint(int(row[0]), bytes(row[1]), row[2], float(row[3]))
