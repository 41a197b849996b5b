"""Durable state: signing keys and consents, in SQLite by default.

A file under the service's instance folder (or ``:memory:`` for tests) keeps
what must survive a restart: the signing keys (so issued tokens stay
verifiable) and the citizens' consents. Writes are transactions, so a crash
never leaves a half-written row.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eid.errors import StorageError

__all__ = ["Consent", "DurableStore", "SqliteDurableStore", "StoredKey"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL,
    created_at REAL NOT NULL, retired_at REAL
);
CREATE TABLE IF NOT EXISTS consents (
    subject TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL,
    granted_at REAL NOT NULL, PRIMARY KEY (subject, client_id)
);
"""


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A signing key as stored: its private JWK and lifetime."""

    kid: str
    alg: str
    private_jwk: dict[str, Any]
    created_at: float
    retired_at: float | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """A citizen's remembered consent for one client."""

    subject: str  # the personal ID number (never leaves the provider)
    client_id: str
    scopes: frozenset[str]
    granted_at: float


class DurableStore(Protocol):
    """What the login service keeps across restarts."""

    def add_key(self, key: StoredKey) -> None: ...
    def signing_keys(self) -> list[StoredKey]: ...
    def retire_key(self, kid: str, at: float) -> None: ...
    def save_consent(self, consent: Consent) -> None: ...
    def consent(self, subject: str, client_id: str) -> Consent | None: ...
    def consents(self, subject: str) -> list[Consent]: ...
    def revoke_consent(self, subject: str, client_id: str) -> bool: ...


class SqliteDurableStore:
    """The embedded default: one SQLite file (or ``:memory:``), safe across threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            if str(path) != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StorageError(f"SQLite failed: {exc}", code="storage_unavailable") from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def add_key(self, key: StoredKey) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO signing_keys VALUES (?, ?, ?, ?, ?)",
                       (key.kid, key.alg, json.dumps(key.private_jwk), key.created_at,
                        key.retired_at))

    def signing_keys(self) -> list[StoredKey]:
        with self._tx() as db:
            rows = db.execute("SELECT kid, alg, private_jwk, created_at, retired_at "
                              "FROM signing_keys ORDER BY created_at, kid").fetchall()
        try:
            return [StoredKey(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]
        except ValueError as exc:
            raise StorageError("corrupt signing key row", code="corrupt_record") from exc

    def retire_key(self, kid: str, at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE signing_keys SET retired_at = ? "
                       "WHERE kid = ? AND retired_at IS NULL",
                       (at, kid))

    def save_consent(self, consent: Consent) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO consents VALUES (?, ?, ?, ?)",
                       (consent.subject, consent.client_id,
                        " ".join(sorted(consent.scopes)), consent.granted_at))

    def consent(self, subject: str, client_id: str) -> Consent | None:
        with self._tx() as db:
            row = db.execute("SELECT scopes, granted_at FROM consents "
                             "WHERE subject = ? AND client_id = ?", (subject, client_id)).fetchone()
        return Consent(subject, client_id, frozenset(row[0].split()), row[1]) if row else None

    def consents(self, subject: str) -> list[Consent]:
        with self._tx() as db:
            rows = db.execute("SELECT client_id, scopes, granted_at FROM consents "
                              "WHERE subject = ? ORDER BY client_id", (subject,)).fetchall()
        return [Consent(subject, r[0], frozenset(r[1].split()), r[2]) for r in rows]

    def revoke_consent(self, subject: str, client_id: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM consents WHERE subject = ? AND client_id = ?",
                             (subject, client_id))
            return cur.rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
