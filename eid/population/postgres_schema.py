"""The PostgreSQL layout of a registry, shared by the registry and the bulk loader.

The SQLite layout (:mod:`eid.population.sqlite_schema`) in PostgreSQL's types:
one row per citizen, the whole record as compact positional JSON text beside
the columns lookups filter on.

* ``id_number`` ``bigint`` primary key (12 digits; the record keeps the text
  with its leading zeros);
* ``name_key`` + ``birth_year``: the "name + birth date" index, the folded
  search key stored so a search is one index probe (``COLLATE "C"``: the key
  is already folded to upper-case ASCII, byte order is all it needs and the
  fastest to compare);
* ``household_id``, ``father_id``, ``mother_id``: partial indexes (non-null
  values only), for households and children.

``record`` stays ``text`` rather than ``jsonb``: it is read whole and decoded
by the registry (:mod:`eid.population.stored`), never queried inside, and text
keeps the compact form byte for byte.

Tables are made under a name chosen by the caller: the bulk loader fills a
fresh table and swaps it in (:mod:`eid.population.postgres_load`).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

__all__ = ["COLUMNS", "META", "REGISTRY_LOCK", "SCHEMA_VERSION", "TABLE", "create_indexes",
           "create_meta", "create_table", "rename_indexes"]

SCHEMA_VERSION = "3"  # the SQLite registry's version: the same rows
TABLE = "citizens"
META = "registry_meta"
COLUMNS = ("id_number", "name_key", "birth_year", "birth_month", "birth_day",
           "household_id", "father_id", "mother_id", "record")
# pg_advisory_xact_lock key: creating or replacing the registry ("eid registry").
REGISTRY_LOCK = 0x6569_6472_6567_6973

_TABLE = """CREATE TABLE {table} (
    id_number bigint NOT NULL,
    birth_year smallint NOT NULL,
    birth_month smallint,
    birth_day smallint,
    name_key text COLLATE "C" NOT NULL,
    household_id text COLLATE "C",
    father_id text COLLATE "C",
    mother_id text COLLATE "C",
    record text NOT NULL
)"""

# (suffix, definition): index names are the table's name plus the suffix.
_INDEXES = (
    ("name", "(name_key, birth_year)", ""),
    ("household", "(household_id)", " WHERE household_id IS NOT NULL"),
    ("father", "(father_id)", " WHERE father_id IS NOT NULL"),
    ("mother", "(mother_id)", " WHERE mother_id IS NOT NULL"),
)


def create_table(conn: Any, table: str) -> None:
    """Create the citizens table ``table`` without any index (a bulk load adds them after)."""
    conn.execute(sql.SQL(_TABLE).format(table=sql.Identifier(table)))


def create_indexes(conn: Any, table: str) -> None:
    """The primary key and the lookup indexes of ``table``, named after it; after a
    bulk load one sort each is far cheaper than upkeep per row."""
    conn.execute(sql.SQL("ALTER TABLE {t} ADD CONSTRAINT {k} PRIMARY KEY (id_number)").format(
        t=sql.Identifier(table), k=sql.Identifier(f"{table}_pkey")))
    for suffix, columns, where in _INDEXES:
        conn.execute(sql.SQL("CREATE INDEX {i} ON {t} " + columns + where).format(
            i=sql.Identifier(f"{table}_{suffix}"), t=sql.Identifier(table)))


def rename_indexes(conn: Any, old: str, new: str) -> None:
    """Rename ``old``'s indexes (``old_pkey``, ``old_name``, ...) to ``new``'s names."""
    for suffix in ("pkey", *(s for s, _, _ in _INDEXES)):
        conn.execute(sql.SQL("ALTER INDEX {a} RENAME TO {b}").format(
            a=sql.Identifier(f"{old}_{suffix}"), b=sql.Identifier(f"{new}_{suffix}")))


def create_meta(conn: Any) -> None:
    """The metadata table (schema version, generator parameters), if missing."""
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY,"
                         " value text NOT NULL)").format(sql.Identifier(META)))
