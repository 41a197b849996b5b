"""The data-access log in the PostgreSQL durable store (see :mod:`eid.storage.access_log`
for the layout, shared with SQLite, and :mod:`eid.storage.postgres_durable_schema` for
the tables and their append-only triggers).

A mixin of :class:`~eid.storage.postgres_durable.PostgresDurableStore`: each method is
one transaction of the store's pool. An append locks the log against other appenders
(not readers) for its transaction, so the next index is read and inserted in one step:
indexes are consecutive across instances, and a rolled-back append leaves no gap (a
sequence would: ``nextval`` is never rolled back).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from eid.audit import Node
from eid.storage.access_log import (
    append_rows,
    check_limit,
    check_range,
    entry_of,
    hash_of,
    missing_node,
)
from eid.storage.records import AccessEntry, StoredCheckpoint

__all__ = ["NODES_QUERY", "PostgresAccessLog"]

#: The stored nodes named by two arrays (levels, indexes): a nested loop of primary-key
#: probes, whatever the table's size (checked in tests/storage/test_access_log.py).
NODES_QUERY = ("SELECT n.level, n.idx, n.hash FROM unnest(%s::smallint[], %s::bigint[])"
               " AS w(level, idx) JOIN access_nodes n ON n.level = w.level AND n.idx = w.idx")


#: The next index and the stored left siblings appending it completes, in one statement
#: (after the lock). :func:`eid.audit.merkle.completed_nodes` combines, for each level ``l``
#: while bit ``l`` of the index is 1, the new subtree with the node ``(l, (index >> l) -
#: 1)``: the levels where the low ``l + 1`` bits of ``index + 1`` are all 0. Each is a
#: primary-key probe (a plan test pins it). Returns the index, and the levels and hashes
#: found (NULL arrays when none is needed).
_NEXT_INDEX_AND_SIBLINGS = (
    "SELECT s.i, w.levels, w.hashes"
    " FROM (SELECT coalesce(max(idx) + 1, 0) AS i FROM access_log) AS s"
    " CROSS JOIN LATERAL (SELECT array_agg(n.level ORDER BY n.level) AS levels,"
    " array_agg(n.hash ORDER BY n.level) AS hashes"
    " FROM generate_series(0, 62) AS l JOIN access_nodes n"
    " ON n.level = l AND n.idx = (s.i >> l) - 1"
    # Shifted down and up again rather than masked: 1 << 63 does not fit a bigint.
    " WHERE ((s.i + 1) >> (l + 1)) << (l + 1) = s.i + 1) AS w")

#: The entry and its nodes (three arrays: levels, indexes, hashes).
_INSERT_ENTRY_AND_NODES = (
    "WITH entry AS (INSERT INTO access_log VALUES (%s, %s, %s, %s))"
    " INSERT INTO access_nodes SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])")


class PostgresAccessLog:
    """The log's methods of the :class:`~eid.storage.durable.DurableStore` protocol."""

    if TYPE_CHECKING:
        def _tx(self) -> AbstractContextManager[Any]: ...

    def append_access(self, entry: AccessEntry) -> int:
        with self._tx() as db:
            # EXCLUSIVE conflicts with every writer of the table and with itself, not with
            # readers (ACCESS SHARE): appenders queue, proofs and views go on. A statement
            # of its own: the next one's snapshot is taken once the lock is held, so it
            # sees the last appender's commit.
            db.execute("LOCK TABLE access_log IN EXCLUSIVE MODE")
            next_index, levels, hashes = db.execute(_NEXT_INDEX_AND_SIBLINGS).fetchone()
            index = int(next_index)
            found = dict(zip(levels or (), hashes or (), strict=True))

            def stored(node: Node) -> bytes:
                if node[1] != (index >> node[0]) - 1 or node[0] not in found:
                    raise missing_node(node)
                return hash_of(found[node[0]])

            data, nodes = append_rows(index, entry, stored)
            # The entry and its nodes in one statement: one round trip, not two plus a
            # pipeline's bookkeeping (bench.instructions --redis --postgres).
            db.execute(_INSERT_ENTRY_AND_NODES,
                       (index, entry.citizen, entry.client_id, data,
                        [n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]))
            return index

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
