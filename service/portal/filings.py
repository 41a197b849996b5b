"""The paperless file: submitted filings with the provenance of every value.

SQLite in the portal's instance folder. Each filing keeps, per field, the
value, where it came from (``population_db`` or ``user``), whether it was
verified, and when it was retrieved, so the receiving office can tell
state-held data from what the citizen typed.
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

__all__ = ["Filing", "FilingStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS filings (
    reference TEXT PRIMARY KEY, subject TEXT NOT NULL, procedure_id TEXT NOT NULL,
    submitted_at REAL NOT NULL, acr TEXT, forms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS filings_subject ON filings (subject, submitted_at);
"""


@dataclass(frozen=True, slots=True)
class Filing:
    reference: str
    subject: str
    procedure_id: str
    submitted_at: float
    acr: str | None
    forms: dict[str, dict[str, Any]]  # form id -> field id -> {value, source, verified, ...}


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
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc

    def add(self, subject: str, procedure_id: str, acr: str | None,
            forms: dict[str, dict[str, Any]]) -> Filing:
        """Store a filing under a fresh reference number (``HS-YYYYMMDD-XXXXXXXX``)."""
        now = time.time()
        # The date part is Vietnam's date: a filing at 01:00 there is not "yesterday".
        reference = dt.datetime.fromtimestamp(now, VIETNAM).strftime("HS-%Y%m%d-") \
            + secrets.token_hex(4).upper()
        filing = Filing(reference, subject, procedure_id, now, acr, forms)
        with self._lock:
            try:
                self._db.execute("INSERT INTO filings VALUES (?, ?, ?, ?, ?, ?)",
                                 (reference, subject, procedure_id, now, acr,
                                  json.dumps(forms, ensure_ascii=False)))
            except sqlite3.Error as exc:
                raise StorageError(f"cannot store filing: {exc}",
                                   code="storage_unavailable") from exc
        return filing

    def get(self, reference: str, subject: str) -> Filing:
        """A filing of ``subject`` (another citizen's reference is simply not found).

        :raises NotFoundError: ``filing_not_found``.
        """
        with self._lock:
            row = self._db.execute("SELECT * FROM filings WHERE reference = ? AND subject = ?",
                                   (reference, subject)).fetchone()
        if row is None:
            raise NotFoundError("no such filing", code="filing_not_found")
        return Filing(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))

    def of(self, subject: str) -> list[Filing]:
        """The citizen's filings, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM filings WHERE subject = ? "
                                    "ORDER BY submitted_at DESC", (subject,)).fetchall()
        return [Filing(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
