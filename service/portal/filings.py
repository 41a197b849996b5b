"""The paperless file: submitted filings with the provenance of every value.

SQLite in the portal's instance folder. Each filing keeps, per field, the
value, where it came from (``population_db`` or ``user``), whether it was
verified, and when it was retrieved, and, when the portal could obtain the
citizen's credential, the sealed dossier (:mod:`service.portal.dossiers`) that
lets the receiving office check the state-held values itself; otherwise the
code of what prevented it.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eid.errors import NotFoundError, StorageError
from eid.storage import prepare_private_file
from service.times import VIETNAM

__all__ = ["Filing", "FilingStore", "new_reference"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS filings (
    reference TEXT PRIMARY KEY, subject TEXT NOT NULL, procedure_id TEXT NOT NULL,
    submitted_at REAL NOT NULL, acr TEXT, forms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS filings_subject ON filings (subject, submitted_at);
"""
# Added with dossiers; a filings file from before gets them on open.
_COLUMNS = (("dossier", "TEXT"), ("dossier_problem", "TEXT"))


@dataclass(frozen=True, slots=True)
class Filing:
    reference: str
    subject: str
    procedure_id: str
    submitted_at: float
    acr: str | None
    forms: dict[str, dict[str, Any]]  # form id -> field id -> {value, source, verified, ...}
    #: The sealed dossier file (JSON text), when one could be made.
    dossier: str | None = None
    #: Why there is no dossier (an error code), when there is none.
    dossier_problem: str | None = None


def new_reference(now: float) -> str:
    """A fresh reference number, ``HS-YYYYMMDD-XXXXXXXX``."""
    # The date part is Vietnam's date: a filing at 01:00 there is not "yesterday".
    return dt.datetime.fromtimestamp(now, VIETNAM).strftime("HS-%Y%m%d-") \
        + secrets.token_hex(4).upper()


class FilingStore:
    """Filings by reference number; every write is one transaction."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        """:raises StorageError: ``insecure_key_file`` (others can read the filings),
        ``storage_unavailable``."""
        self._lock = threading.Lock()
        if str(path) not in (":memory:", ""):
            prepare_private_file(path)  # citizens' personal data: owner-only
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(filings)")}
            for name, kind in _COLUMNS:
                if name not in have:
                    self._db.execute(f"ALTER TABLE filings ADD COLUMN {name} {kind}")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc

    def add(self, subject: str, procedure_id: str, acr: str | None,
            forms: dict[str, dict[str, Any]], *, reference: str | None = None,
            submitted_at: float | None = None, dossier: str | None = None,
            dossier_problem: str | None = None) -> Filing:
        """Store a filing under ``reference`` (default: a fresh :func:`new_reference`)."""
        now = time.time() if submitted_at is None else submitted_at
        reference = reference or new_reference(now)
        filing = Filing(reference, subject, procedure_id, now, acr, forms, dossier,
                        dossier_problem)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO filings (reference, subject, procedure_id, submitted_at, acr, "
                    "forms, dossier, dossier_problem) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (reference, subject, procedure_id, now, acr,
                     json.dumps(forms, ensure_ascii=False), dossier, dossier_problem))
            except sqlite3.Error as exc:
                raise StorageError(f"cannot store filing: {exc}",
                                   code="storage_unavailable") from exc
        return filing

    def get(self, reference: str, subject: str) -> Filing:
        """A filing of ``subject`` (another citizen's reference is simply not found).

        :raises NotFoundError: ``filing_not_found``.
        """
        with self._lock:
            row = self._db.execute(_SELECT + " WHERE reference = ? AND subject = ?",
                                   (reference, subject)).fetchone()
        if row is None:
            raise NotFoundError("no such filing", code="filing_not_found")
        return _filing(row)

    def of(self, subject: str) -> list[Filing]:
        """The citizen's filings, newest first."""
        with self._lock:
            rows = self._db.execute(_SELECT + " WHERE subject = ? ORDER BY submitted_at DESC",
                                    (subject,)).fetchall()
        return [_filing(r) for r in rows]


# Named columns: a file migrated by ALTER TABLE has them in this order too, but say so.
_SELECT = ("SELECT reference, subject, procedure_id, submitted_at, acr, forms, dossier, "
           "dossier_problem FROM filings")


def _filing(row: Any) -> Filing:
    return Filing(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6], row[7])
