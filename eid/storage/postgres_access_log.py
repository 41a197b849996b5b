"""The data-access log in the PostgreSQL durable store (see :mod:`eid.storage.access_log`
for the layout, shared with SQLite, and :mod:`eid.storage.postgres_durable_schema` for
the tables and their append-only triggers).

A mixin of :class:`~eid.storage.postgres_durable.PostgresDurableStore`: each method is
one transaction of the store's pool. An append (the schema's ``eid_append_access``, one
statement) locks the log against other appenders (not readers) for its transaction, so
the next index is read and inserted in one step: indexes are consecutive across
instances, and a rolled-back append leaves no gap (a sequence would: ``nextval`` is never
rolled back).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import psycopg

from eid.audit import Node, canonical_bytes, leaf_hash
from eid.errors import StorageError
from eid.storage.access_log import check_limit, check_range, entry_of, hash_of
from eid.storage.records import AccessEntry, StoredCheckpoint

__all__ = ["NODES_QUERY", "PostgresAccessLog"]

#: The stored nodes named by two arrays (levels, indexes): a nested loop of primary-key
#: probes, whatever the table's size (checked in tests/storage/test_access_log.py).
NODES_QUERY = ("SELECT n.level, n.idx, n.hash FROM unnest(%s::smallint[], %s::bigint[])"
               " AS w(level, idx) JOIN access_nodes n ON n.level = w.level AND n.idx = w.idx")


#: The schema's eid_append_access: the entry, its leaf and the subtrees it completes,
#: under the log's lock, in one statement (its own transaction, in autocommit).
_APPEND = "SELECT eid_append_access(%s, %s, %s, %s)"


class PostgresAccessLog:
    """The log's methods of the :class:`~eid.storage.durable.DurableStore` protocol."""

    if TYPE_CHECKING:
        def _tx(self) -> AbstractContextManager[Any]: ...
        def _statement(self) -> AbstractContextManager[Any]: ...

    def append_access(self, entry: AccessEntry) -> int:
        data = canonical_bytes(entry)
        with self._statement() as db:
            try:
                row = db.execute(_APPEND, (entry.citizen, entry.client_id, data,
                                           leaf_hash(data))).fetchone()
            except psycopg.errors.DataCorrupted as exc:  # a sibling missing or malformed
                raise StorageError(exc.diag.message_primary or "corrupt data-access log",
                                   code="corrupt_record") from exc
        return int(row[0])

    def access_size(self) -> int:
        with self._tx() as db:
            row = db.execute("SELECT max(idx) FROM access_log").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def access_entries(self, start: int, stop: int) -> list[AccessEntry]:
        check_range(start, stop)
        with self._tx() as db:
            rows = db.execute("SELECT entry FROM access_log WHERE idx >= %s AND idx < %s"
                              " ORDER BY idx", (start, stop)).fetchall()
        return [entry_of(r[0]) for r in rows]

    def citizen_access(self, citizen: str, *, client_id: str | None = None,
                       before: int | None = None,
                       limit: int = 20) -> list[tuple[int, AccessEntry]]:
        check_limit(limit, before)
        with self._tx() as db:
            rows = db.execute("SELECT idx, entry FROM access_log WHERE citizen = %s"
                              " AND (%s::text IS NULL OR client_id = %s)"
                              " AND (%s::bigint IS NULL OR idx < %s)"
                              " ORDER BY idx DESC LIMIT %s",
                              (citizen, client_id, client_id, before, before, limit)).fetchall()
        return [(int(r[0]), entry_of(r[1], citizen)) for r in rows]

    def access_leaves(self, start: int, stop: int) -> list[bytes]:
        check_range(start, stop)
        with self._tx() as db:
            rows = db.execute("SELECT hash FROM access_nodes WHERE level = 0 AND idx >= %s"
                              " AND idx < %s ORDER BY idx", (start, stop)).fetchall()
        return [hash_of(r[0]) for r in rows]

    def access_nodes(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        if not nodes:
            return {}
        with self._tx() as db:
            rows = db.execute(NODES_QUERY, ([level for level, _ in nodes],
                                            [index for _, index in nodes])).fetchall()
        return {(int(r[0]), int(r[1])): hash_of(r[2]) for r in rows}

    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        with self._tx() as db:
            db.execute("LOCK TABLE access_checkpoints IN EXCLUSIVE MODE")
            row = db.execute("SELECT max(size) FROM access_checkpoints").fetchone()
            if row[0] is not None and int(row[0]) >= checkpoint.size:
                return False
            db.execute("INSERT INTO access_checkpoints VALUES (%s, %s, %s, %s)",
                       (checkpoint.size, checkpoint.root, checkpoint.note,
                        checkpoint.signed_at))
            return True

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self._tx() as db:
            row = db.execute("SELECT size, root, note, signed_at FROM access_checkpoints"
                             " ORDER BY size DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), float(row[3]))
