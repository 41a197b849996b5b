"""The default registry: SQLite, in a file or in memory, no server needed.

Threads: one connection opened with ``check_same_thread=False`` and guarded by
a lock, so a threaded web server can share one registry. SQLite serialises
work on a connection anyway and a lookup takes microseconds, so the lock costs
nothing measurable; an in-memory database exists only inside its connection,
which rules out a connection per thread. Processes (several web workers) each
open the file read-only; a read-only registry holds SQLite's shared lock while
open (no re-locking per lookup), so a writer must wait for it to close –
``eid population generate`` never does, since it writes a new file and renames
it into place, and the open registry keeps reading the old one.

Statements are constant strings, so the ``sqlite3`` module's per-connection
statement cache prepares each one once.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from eid.errors import ConfigurationError, NotFoundError, StorageError
from eid.population.codec import name_key
from eid.population.idnumber import parse_id_number
from eid.population.model import Address, Citizen, PartialDate
from eid.population.registry import DEFAULT_SEARCH_LIMIT, Relatives
from eid.population.rows import check_keep, head_first, relatives_of
from eid.population.rows import decode_row as _decode
from eid.population.sqlite_schema import (
    INSERT_ROW,
    SCHEMA_VERSION,
    citizen_row,
    create_indexes,
    create_tables,
)

__all__ = ["SqliteRegistry"]

_GET = "SELECT record FROM citizens WHERE id_number = ?"
_SEARCH = (
    "SELECT id_number, record FROM citizens WHERE name_key = ?1"
    " AND (?2 IS NULL OR birth_year = ?2)"
    " AND (?3 IS NULL OR birth_month IS NULL OR birth_month = ?3)"
    " AND (?4 IS NULL OR birth_day IS NULL OR birth_day = ?4)"
    " ORDER BY id_number LIMIT ?5"
)
_HOUSEHOLD = (
    "SELECT id_number, record FROM citizens WHERE household_id = ? ORDER BY id_number"
)
_CHILDREN = (
    "SELECT id_number, record FROM citizens WHERE father_id = ?1"
    " UNION SELECT id_number, record FROM citizens WHERE mother_id = ?1"
)
_PAGE = "SELECT id_number, record FROM citizens WHERE id_number > ? ORDER BY id_number LIMIT ?"
_PAGE_SIZE = 1000
_MMAP_BYTES = 1 << 34


class SqliteRegistry:
    """A :class:`~eid.population.registry.Registry` in SQLite.

    ``path`` is a file or ``":memory:"`` (the default). A writable registry
    creates its schema if missing; ``readonly=True`` opens an existing file for
    lookups only.

    ``keep_decoded``: how many citizens :meth:`find` keeps decoded, by ID number, the
    oldest out first (0, the default: none). Worth it where the same citizen is looked
    up again soon, as a login does at authorize, token and userinfo; a cost where every
    lookup is another citizen (each miss ~15% slower with 256 or 4,096 kept, measured
    on the 2.6-million registry of bench.population). Safe, because a row never changes
    under its connection: rows are only inserted (``add_many``), an in-memory database
    has no other connection, and a read-only file keeps its shared lock while open (the
    generator writes a new file and renames it, and this connection goes on reading the
    old one). Only hits are kept, so a citizen added later is found.

    :raises StorageError: ``registry_missing`` (read-only and no such file, or the file
        cannot be opened),
        ``not_a_registry`` (not a SQLite registry, or another schema version).
    """

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, readonly: bool = False,
                 keep_decoded: int = 0):
        check_keep(keep_decoded)
        self.path = str(path)
        memory = self.path == ":memory:"
        if readonly and (memory or not Path(self.path).is_file()):
            raise StorageError(f"no registry at {self.path}", code="registry_missing")
        target = f"{Path(self.path).resolve().as_uri()}?mode=ro" if readonly else self.path
        try:
            self._conn = sqlite3.connect(
                target, uri=readonly, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {self.path}: {exc}", code="registry_missing") from exc
        try:
            # Memory-map the file: a lookup then reads pages without a system call each
            # (SQLite caps the size at its compile-time limit).
            self._conn.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
            if readonly:
                # Keep the shared lock between statements: otherwise every lookup locks and
                # unlocks the file and re-reads its header (system calls that cost more than
                # the lookup). Writers wait while the registry is open; the generator never
                # does, since it writes a new file and renames it into place.
                self._conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            else:
                with self._conn:
                    self._conn.execute("BEGIN")
                    create_tables(self._conn)
                    create_indexes(self._conn)
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StorageError(
                f"{self.path} is not a registry: {exc}", code="not_a_registry"
            ) from exc
        if row is None or row[0] != SCHEMA_VERSION:
            self._conn.close()
            raise StorageError(
                f"{self.path}: schema version {row and row[0]!r}, expected {SCHEMA_VERSION}",
                code="not_a_registry",
            )
        self._lock = threading.Lock()
        self._places: dict[tuple[Any, ...], Address] = {}  # see decode_stored()
        self._keep = keep_decoded
        self._decoded: OrderedDict[str, Citizen] = OrderedDict()

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Close the connection; the registry is unusable afterwards."""
        self._conn.close()

    def __enter__(self) -> SqliteRegistry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteRegistry({self.path!r})"

    # -- reads -------------------------------------------------------------
    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"registry query failed: {exc}") from exc

    def find(self, id_number: str) -> Citizen | None:
        """The citizen with this well-formed ID number, or ``None``.

        :raises IdNumberError: the number is malformed.
        :raises StorageError: ``corrupt_record``.
        """
        # The hot path (tens of thousands a second): one prepared statement, one row.
        # Only ASCII digits (str.isdigit() also accepts other scripts' digits, which int() reads).
        if type(id_number) is not str or len(id_number) != 12 or not (
            id_number.isascii() and id_number.isdigit()
        ):
            parse_id_number(id_number)  # raises IdNumberError with the precise code
        if self._keep:
            found = self._decoded.get(id_number)
            if found is not None:
                return found  # frozen: safe to share
        try:
            with self._lock:
                row = self._conn.execute(_GET, (int(id_number),)).fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"registry query failed: {exc}") from exc
        if row is not None:
            # Only well-formed numbers are ever stored, so a hit needs no parsing.
            citizen = _decode(row[0], id_number, self._places)
            if self._keep:
                with self._lock:
                    if len(self._decoded) >= self._keep:
                        self._decoded.popitem(last=False)  # the oldest, in O(1)
                    self._decoded[id_number] = citizen
            return citizen
        parse_id_number(id_number)  # malformed: IdNumberError, not "not found"
        return None

    def get(self, id_number: str) -> Citizen:
        """See :meth:`Registry.get <eid.population.registry.Registry.get>`."""
        citizen = self.find(id_number)
        if citizen is None:
            raise NotFoundError(f"no citizen with ID number {id_number}", code="citizen_not_found")
        return citizen

    def search(
        self,
        name: str,
        born: PartialDate | _dt.date | None = None,
        *,
        limit: int = DEFAULT_SEARCH_LIMIT,
    ) -> list[Citizen]:
        """See :meth:`Registry.search <eid.population.registry.Registry.search>`.

        Only the exact folded name is matched (no prefix or fuzzy search): that
        is what population lookups do, and it keeps every search one index probe.
        """
        if limit < 1:
            raise ConfigurationError(f"limit must be at least 1, not {limit}", code="bad_limit")
        if isinstance(born, _dt.date):
            born = PartialDate.from_date(born)
        year, month, day = (born.year, born.month, born.day) if born else (None, None, None)
        rows = self._query(_SEARCH, (name_key(name), year, month, day, limit))
        return [_decode(row[1], row[0], self._places) for row in rows]

    def household(self, id_number: str) -> list[Citizen]:
        """See :meth:`Registry.household <eid.population.registry.Registry.household>`."""
        citizen = self.get(id_number)
        if citizen.household is None:
            return [citizen]
        rows = self._query(_HOUSEHOLD, (citizen.household.household_id,))
        return head_first(_decode(r[1], r[0], self._places) for r in rows)

    def relatives(self, id_number: str) -> Relatives:
        """See :meth:`Registry.relatives <eid.population.registry.Registry.relatives>`."""
        citizen = self.get(id_number)
        children = (_decode(r[1], r[0], self._places) for r in self._query(_CHILDREN, (id_number,)))
        return relatives_of(citizen, self.find, children)

    def iter_citizens(self) -> Iterator[Citizen]:
        """See :meth:`Registry.iter_citizens <eid.population.registry.Registry.iter_citizens>`.

        Reads in pages so the lock is never held while the caller works.
        """
        last = -1
        while True:
            rows = self._query(_PAGE, (last, _PAGE_SIZE))
            for row in rows:
                yield _decode(row[1], row[0], self._places)
            if len(rows) < _PAGE_SIZE:
                return
            last = int(rows[-1][0])  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[Citizen]:
        return self.iter_citizens()

    def __len__(self) -> int:
        count = self._query("SELECT count(*) FROM citizens", ())[0][0]
        assert isinstance(count, int)  # noqa: S101 - count(*) is an integer
        return count

    def meta(self) -> dict[str, str]:
        """The registry's metadata (schema version, generator parameters)."""
        return {str(k): str(v) for k, v in self._query("SELECT key, value FROM meta", ())}

    # -- writes ------------------------------------------------------------
    def add_many(self, citizens: Iterable[Citizen]) -> int:
        """See :meth:`Registry.add_many <eid.population.registry.Registry.add_many>`."""
        rows = [citizen_row(c) for c in citizens]
        try:
            with self._lock, self._conn:
                self._conn.execute("BEGIN")
                self._conn.executemany(INSERT_ROW, rows)
        except sqlite3.IntegrityError as exc:
            raise StorageError(
                f"an ID number is already in the registry: {exc}", code="duplicate_id_number"
            ) from exc
        except sqlite3.Error as exc:
            raise StorageError(f"registry write failed: {exc}") from exc
        return len(rows)
