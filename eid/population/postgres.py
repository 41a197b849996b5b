"""The registry in PostgreSQL, chosen by ``EID_DATABASE_URL``: one registry for every
instance of the service, and room for a country (100 million people).

It answers the :class:`~eid.population.registry.Registry` contract exactly as the
SQLite default does (the same rows, search key and decoding, :mod:`.rows`).
Reads go through a bounded psycopg 3 pool in autocommit mode: a lookup is one
statement, with no BEGIN/COMMIT round trips, and psycopg prepares a statement
on a connection once it has run it a few times. Any backend failure is
``StorageError("storage_unavailable")``.

A registry is loaded in bulk by ``eid population generate --database-url``
(:mod:`eid.population.postgres_load`); :meth:`PostgresRegistry.add_many`
adds citizens to an existing one with ``COPY``, all or none.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

import psycopg

from eid.errors import ConfigurationError, NotFoundError, StorageError
from eid.population.codec import name_key
from eid.population.idnumber import parse_id_number
from eid.population.model import Address, Citizen, PartialDate
from eid.population.postgres_schema import (
    COLUMNS,
    REGISTRY_LOCK,
    SCHEMA_VERSION,
    create_indexes,
    create_meta,
    create_table,
)
from eid.population.registry import DEFAULT_SEARCH_LIMIT, Relatives
from eid.population.rows import KeptDecodes, decode_row, head_first, relatives_of
from eid.population.sqlite_schema import citizen_row
from eid.storage.postgres_pool import PoolSettings, open_pool, translate_errors

__all__ = ["PostgresRegistry"]

_GET = "SELECT record FROM citizens WHERE id_number = %s"
# One constant statement per shape of the birth date asked for, so each is prepared once
# and the planner sees plain equalities on the (name_key, birth_year) index.
_SEARCH = "SELECT id_number, record FROM citizens WHERE name_key = %s"
_BORN = (
    "",
    " AND birth_year = %s",
    " AND birth_year = %s AND (birth_month IS NULL OR birth_month = %s)",
    " AND birth_year = %s AND (birth_month IS NULL OR birth_month = %s)"
    " AND (birth_day IS NULL OR birth_day = %s)",
)
_SEARCHES = tuple(_SEARCH + born + " ORDER BY id_number LIMIT %s" for born in _BORN)
_HOUSEHOLD = "SELECT id_number, record FROM citizens WHERE household_id = %s ORDER BY id_number"
_CHILDREN = (
    "SELECT id_number, record FROM citizens WHERE father_id = %s"
    " UNION SELECT id_number, record FROM citizens WHERE mother_id = %s"
)
_PAGE = "SELECT id_number, record FROM citizens WHERE id_number > %s ORDER BY id_number LIMIT %s"
_PAGE_SIZE = 1000
_COPY = f"COPY citizens ({', '.join(COLUMNS)}) FROM STDIN"


class PostgresRegistry:
    """A :class:`~eid.population.registry.Registry` in a PostgreSQL database.

    ``create=True`` makes an empty registry when the database has none (what
    tests and the service's test mode do); otherwise one must have been loaded.

    ``keep_decoded``: how many citizens :meth:`find` keeps decoded, by ID number, with the
    text each was decoded from (0, the default: none). Every lookup still reads its row,
    so a locked account or a reloaded table is seen at once; a row read back unchanged
    is not decoded again (:class:`~eid.population.rows.KeptDecodes`). Worth it where the
    same citizen is looked up again soon, as a login does at authorize, token and
    userinfo.

    :raises ConfigurationError: ``invalid_url``.
    :raises StorageError: ``storage_unavailable``; ``registry_missing`` (no registry
        in that database and ``create`` is false); ``not_a_registry`` (another schema
        version).
    """

    def __init__(self, url: str, *, create: bool = False, pool: PoolSettings | None = None,
                 keep_decoded: int = 0):
        self._kept = KeptDecodes(keep_decoded)  # first: a bad argument opens no pool
        self._pool = open_pool(url, pool or PoolSettings(), name="registry", autocommit=True)
        self._places: dict[tuple[Any, ...], Address] = {}  # see decode_stored()
        try:
            if create:
                self._create()
            version = self._version()
        except BaseException:
            self._pool.close()
            raise
        if version != SCHEMA_VERSION:
            self._pool.close()
            if version is None:
                raise StorageError("no registry in this database: load one with `eid population"
                                   " generate --people N --database-url URL`",
                                   code="registry_missing")
            raise StorageError(f"registry schema version {version!r}, expected {SCHEMA_VERSION}",
                               code="not_a_registry")

    def _create(self) -> None:
        with translate_errors("registry"), self._pool.connection() as conn, \
                conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (REGISTRY_LOCK,))
            if conn.execute("SELECT to_regclass('citizens')").fetchone()[0] is None:
                create_table(conn, "citizens")
                create_indexes(conn, "citizens")
            create_meta(conn)
            conn.execute("INSERT INTO registry_meta VALUES ('schema_version', %s)"
                         " ON CONFLICT (key) DO NOTHING", (SCHEMA_VERSION,))

    def _version(self) -> str | None:
        with translate_errors("registry"), self._pool.connection() as conn:
            if conn.execute("SELECT to_regclass('registry_meta')").fetchone()[0] is None:
                return None
            row = conn.execute(
                "SELECT value FROM registry_meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else str(row[0])

    # -- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        """Close the pool; the registry is unusable afterwards."""
        self._pool.close()

    def __enter__(self) -> PostgresRegistry:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresRegistry({self._pool.name!r})"

    # -- reads -------------------------------------------------------------
    def _query(self, query: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        with translate_errors("registry query"), self._pool.connection() as conn:
            rows: list[tuple[Any, ...]] = conn.execute(query, params).fetchall()
        return rows

    def find(self, id_number: str) -> Citizen | None:
        """The citizen with this well-formed ID number, or ``None``.

        :raises IdNumberError: the number is malformed.
        :raises StorageError: ``corrupt_record``, ``storage_unavailable``.
        """
        # Only ASCII digits (str.isdigit() also accepts other scripts' digits, which int() reads).
        if type(id_number) is not str or len(id_number) != 12 or not (
            id_number.isascii() and id_number.isdigit()
        ):
            parse_id_number(id_number)  # raises IdNumberError with the precise code
        rows = self._query(_GET, (int(id_number),))
        if rows:
            return self._kept.decode(rows[0][0], id_number, self._places)
        parse_id_number(id_number)  # malformed: IdNumberError, not "not found"
        return None

    def get(self, id_number: str) -> Citizen:
        """See :meth:`Registry.get <eid.population.registry.Registry.get>`."""
        citizen = self.find(id_number)
        if citizen is None:
            raise NotFoundError(f"no citizen with ID number {id_number}", code="citizen_not_found")
        return citizen

    def search(self, name: str, born: PartialDate | _dt.date | None = None, *,
               limit: int = DEFAULT_SEARCH_LIMIT) -> list[Citizen]:
        """See :meth:`Registry.search <eid.population.registry.Registry.search>`:
        the exact folded name (one index probe), as the SQLite registry matches."""
        if limit < 1:
            raise ConfigurationError(f"limit must be at least 1, not {limit}", code="bad_limit")
        if isinstance(born, _dt.date):
            born = PartialDate.from_date(born)
        parts = [] if born is None else [p for p in (born.year, born.month, born.day)
                                         if p is not None]
        rows = self._query(_SEARCHES[len(parts)], (name_key(name), *parts, limit))
        return [decode_row(r[1], r[0], self._places) for r in rows]

    def household(self, id_number: str) -> list[Citizen]:
        """See :meth:`Registry.household <eid.population.registry.Registry.household>`."""
        citizen = self.get(id_number)
        if citizen.household is None:
            return [citizen]
        rows = self._query(_HOUSEHOLD, (citizen.household.household_id,))
        return head_first(decode_row(r[1], r[0], self._places) for r in rows)

    def relatives(self, id_number: str) -> Relatives:
        """See :meth:`Registry.relatives <eid.population.registry.Registry.relatives>`."""
        citizen = self.get(id_number)
        rows = self._query(_CHILDREN, (id_number, id_number))
        children = (decode_row(r[1], r[0], self._places) for r in rows)
        return relatives_of(citizen, self.find, children)

    def iter_citizens(self) -> Iterator[Citizen]:
        """See :meth:`Registry.iter_citizens <eid.population.registry.Registry.iter_citizens>`.

        Reads in pages, holding no connection while the caller works.
        """
        last = -1
        while True:
            rows = self._query(_PAGE, (last, _PAGE_SIZE))
            for row in rows:
                yield decode_row(row[1], row[0], self._places)
            if len(rows) < _PAGE_SIZE:
                return
            last = int(rows[-1][0])

    def __iter__(self) -> Iterator[Citizen]:
        return self.iter_citizens()

    def __len__(self) -> int:
        return int(self._query("SELECT count(*) FROM citizens", ())[0][0])

    def is_empty(self) -> bool:
        """Whether the registry holds nobody (one index probe, unlike ``len``)."""
        return not self._query("SELECT 1 FROM citizens LIMIT 1", ())

    def meta(self) -> dict[str, str]:
        """The registry's metadata (schema version, generator parameters)."""
        return {str(k): str(v) for k, v in self._query("SELECT key, value FROM registry_meta",
                                                        ())}

    # -- writes ------------------------------------------------------------
    def add_many(self, citizens: Iterable[Citizen]) -> int:
        """See :meth:`Registry.add_many <eid.population.registry.Registry.add_many>`:
        one ``COPY`` in one transaction."""
        rows = [citizen_row(c) for c in citizens]
        try:
            with translate_errors("registry write"), self._pool.connection() as conn, \
                    conn.transaction(), conn.cursor() as cur, cur.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row(row)
        except StorageError as exc:
            if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
                raise StorageError(f"an ID number is already in the registry: {exc.__cause__}",
                                   code="duplicate_id_number") from exc.__cause__
            raise
        return len(rows)
