"""The SQLite layout of a registry, shared by the registry and the bulk generator.

One row per citizen: the whole record as compact positional JSON (so ``get`` is one
indexed lookup and one decode) beside the few columns that lookups filter on.
Sized for a province (2.6 million people in Bình Dương):

* ``id_number`` – the ID number as an integer, which is the table's ``INTEGER
  PRIMARY KEY`` (its rowid): a lookup is one B-tree descent, not an index
  descent and then a table descent (12 digits fit a 64-bit rowid; the record
  keeps the text with its leading zeros).
* ``name_key`` + ``birth_year`` – index for "name + birth date", the lookup
  population services do (names folded: upper, no diacritics, no spaces).
* ``household_id``, ``father_id``, ``mother_id`` – partial indexes (only
  non-null values), for households and children.

Not a ``WITHOUT ROWID`` table keyed on the text: records are ~0.5–1 KiB, above
the size SQLite recommends for ``WITHOUT ROWID`` (interior pages would hold
whole records).
"""

from __future__ import annotations

import sqlite3

from eid.population.codec import citizen_to_record, name_key
from eid.population.model import Citizen
from eid.population.stored import encode_stored

__all__ = [
    "CREATE_INDEXES",
    "CREATE_TABLES",
    "INSERT_ROW",
    "SCHEMA_VERSION",
    "Row",
    "citizen_row",
    "create_indexes",
    "create_tables",
]

SCHEMA_VERSION = "3"

CREATE_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS citizens (
        id_number INTEGER PRIMARY KEY,
        name_key TEXT NOT NULL,
        birth_year INTEGER NOT NULL,
        birth_month INTEGER,
        birth_day INTEGER,
        household_id TEXT,
        father_id TEXT,
        mother_id TEXT,
        record TEXT NOT NULL
    )""",
)

CREATE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS citizens_name ON citizens (name_key, birth_year)",
    "CREATE INDEX IF NOT EXISTS citizens_household ON citizens (household_id)"
    " WHERE household_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS citizens_father ON citizens (father_id)"
    " WHERE father_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS citizens_mother ON citizens (mother_id)"
    " WHERE mother_id IS NOT NULL",
)

INSERT_ROW = "INSERT INTO citizens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

Row = tuple[int, str, int, int | None, int | None, str | None, str | None, str | None, str]


def citizen_row(citizen: Citizen) -> Row:
    """The row that stores ``citizen``."""
    born = citizen.birth_date
    return (
        int(citizen.id_number),
        name_key(citizen.full_name),
        born.year,
        born.month,
        born.day,
        citizen.household.household_id if citizen.household else None,
        citizen.father.id_number if citizen.father else None,
        citizen.mother.id_number if citizen.mother else None,
        encode_stored(citizen_to_record(citizen)),
    )


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the tables (not the indexes) and record the schema version."""
    for statement in CREATE_TABLES:
        conn.execute(statement)
    conn.execute(
        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
    )


def create_indexes(conn: sqlite3.Connection) -> None:
    """Create the indexes; after a bulk load, one sort each is far cheaper than upkeep per row."""
    for statement in CREATE_INDEXES:
        conn.execute(statement)
