"""The durable store's embedded default: one SQLite file (or ``:memory:``).

It implements the whole :class:`~eid.storage.durable.DurableStore` protocol (see
that module for what is kept and why); writes are transactions, committed together
when they come at once (:mod:`eid.storage.sqlite_writes`), and the file and its side
files are owner-only (:mod:`eid.storage.private_files`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eid.errors import StorageError
from eid.storage.private_files import prepare_private_file
from eid.storage.records import Consent, Grant, LogoutNotice, RegisteredClient, StoredKey
from eid.storage.sqlite_access_log import ACCESS_LOG_SCHEMA, SqliteAccessLog
from eid.storage.sqlite_credential_status import (
    CREDENTIAL_STATUS_EXPIRY_INDEX,
    CREDENTIAL_STATUS_SCHEMA,
    SqliteCredentialStatus,
)
from eid.storage.sqlite_open import create_schema, switch_to_wal
from eid.storage.sqlite_writes import GroupCommit

__all__ = ["SqliteDurableStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL,
    created_at REAL NOT NULL, retired_at REAL, activates_at REAL
);
CREATE TABLE IF NOT EXISTS consents (
    subject TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL,
    granted_at REAL NOT NULL, PRIMARY KEY (subject, client_id)
);
CREATE TABLE IF NOT EXISTS grants (
    grant_id TEXT PRIMARY KEY, subject TEXT NOT NULL, client_id TEXT NOT NULL,
    scopes TEXT NOT NULL, details TEXT NOT NULL, refresh_hash TEXT,
    created_at REAL NOT NULL, expires_at REAL NOT NULL, revoked_at REAL
);
CREATE INDEX IF NOT EXISTS grants_by_subject ON grants (subject, client_id);
CREATE INDEX IF NOT EXISTS grants_by_expiry ON grants (expires_at);
CREATE TABLE IF NOT EXISTS logout_notices (
    notice_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, subject TEXT NOT NULL,
    sid TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS logout_notices_due ON logout_notices (due_at);
CREATE TABLE IF NOT EXISTS revocations (
    subject TEXT NOT NULL, client_id TEXT NOT NULL, epoch INTEGER NOT NULL,
    revoked_at REAL NOT NULL, PRIMARY KEY (subject, client_id)
);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS registered_clients (
    client_id TEXT PRIMARY KEY, metadata TEXT NOT NULL, secret_hash TEXT,
    token_hash TEXT NOT NULL, issued_at REAL NOT NULL
);
"""
# Columns added after a release: (table, column, declaration, statement filling old rows,
# or None when old rows keep NULL).
# An instance file written before them gets them on open (SQLite has ALTER TABLE ADD COLUMN
# but no ADD COLUMN IF NOT EXISTS, hence the PRAGMA table_info check).
_ADDED_COLUMNS = (
    ("signing_keys", "activates_at", "REAL",
     # A key from before scheduled rotation signed from its creation.
     "UPDATE signing_keys SET activates_at = created_at WHERE activates_at IS NULL"),
    ("credential_status", "expires_at", "REAL",
     # Entries from before: their credentials' lifetime is unknown, so they stay NULL
     # (never removed); the index on the column is made once the column is there.
     None),
)


def _grant_of(row: tuple[Any, ...]) -> Grant:
    try:
        details = json.loads(row[4])
    except ValueError as exc:
        raise StorageError("corrupt grant row", code="corrupt_record") from exc
    if not isinstance(details, dict):
        raise StorageError("corrupt grant row", code="corrupt_record")
    return Grant(row[0], row[1], row[2], frozenset(row[3].split()), details, row[5],
                 row[6], row[7], row[8])


#: A pair's consent (NULLs without one) and revocation epoch (0 before any), one row.
_CONSENT_AND_EPOCH = (
    "SELECT k.scopes, k.granted_at, COALESCE(r.epoch, 0) FROM (SELECT ? AS s, ? AS c) AS pair"
    " LEFT JOIN consents AS k ON k.subject = pair.s AND k.client_id = pair.c"
    " LEFT JOIN revocations AS r ON r.subject = pair.s AND r.client_id = pair.c")


def _epoch(db: sqlite3.Connection, subject: str, client_id: str) -> int:
    row = db.execute("SELECT epoch FROM revocations WHERE subject = ? AND client_id = ?",
                     (subject, client_id)).fetchone()
    return int(row[0]) if row else 0


class SqliteDurableStore(SqliteAccessLog, SqliteCredentialStatus):
    """The embedded default: one SQLite file (or ``:memory:``), safe across threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        """Open (or create, owner-only) the database at ``path``.

        :raises StorageError: ``insecure_key_file`` when others can read the file
            (it holds the private signing keys); ``storage_unavailable``.
        """
        self._lock = threading.Lock()
        in_memory = str(path) in (":memory:", "")
        if not in_memory:
            prepare_private_file(path)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            if not in_memory:
                switch_to_wal(self._db)  # other workers may be opening it this moment
            create_schema(self._db, _SCHEMA + ACCESS_LOG_SCHEMA + CREDENTIAL_STATUS_SCHEMA)
            # Every write goes through here: concurrent writers share one commit (fsync).
            self._writes = GroupCommit(self._db, self._lock)
            self._migrate()
            # Reads on a connection of their own (WAL: readers see the last commit and
            # never wait for a writer), so no read queues behind a commit's fsync. An
            # in-memory database exists on its one connection only; it has no fsync.
            self._reader, self._read_lock = self._db, self._lock
            if not in_memory:
                self._reader = sqlite3.connect(str(path), check_same_thread=False,
                                               isolation_level=None)
                self._reader.execute("PRAGMA query_only = ON")
                self._read_lock = threading.Lock()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc

    def _migrate(self) -> None:
        def write(db: sqlite3.Connection) -> None:
            for table, column, declaration, fill in _ADDED_COLUMNS:
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    if fill is not None:
                        db.execute(fill)
            db.execute(CREDENTIAL_STATUS_EXPIRY_INDEX)
        self._writes.write(write)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """For one SELECT: in autocommit mode a lone statement is its own transaction (one
        consistent snapshot of what is committed), so a read needs neither ``BEGIN
        IMMEDIATE``, which takes the database's write lock (other processes' writers
        wait), nor a ``COMMIT``. The lock serialises the threads on the connection."""
        with self._read_lock:
            try:
                yield self._reader
            except sqlite3.Error as exc:
                raise StorageError(f"SQLite failed: {exc}", code="storage_unavailable") from exc

    @staticmethod
    def _insert_key(db: sqlite3.Connection, key: StoredKey) -> None:
        db.execute("INSERT INTO signing_keys (kid, alg, private_jwk, created_at, retired_at, "
                   "activates_at) VALUES (?, ?, ?, ?, ?, ?)",
                   (key.kid, key.alg, json.dumps(key.private_jwk), key.created_at,
                    key.retired_at, key.activation))

    def add_key(self, key: StoredKey) -> None:
        def write(db: sqlite3.Connection) -> None:
            self._insert_key(db, key)
        self._writes.write(write)

    def schedule_key(self, key: StoredKey, after: float) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            # BEGIN IMMEDIATE holds the write lock: no other process inserts between the
            # check and the insert.
            later = db.execute("SELECT 1 FROM signing_keys WHERE alg = ? AND activates_at > ?",
                               (key.alg, after)).fetchone()
            if later is not None:
                return False
            self._insert_key(db, key)
            return True
        return self._writes.write(write)

    def signing_keys(self) -> list[StoredKey]:
        with self._read() as db:
            rows = db.execute("SELECT kid, alg, private_jwk, created_at, retired_at, "
                              "activates_at FROM signing_keys ORDER BY created_at, kid").fetchall()
        try:
            return [StoredKey(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5]) for r in rows]
        except ValueError as exc:
            raise StorageError("corrupt signing key row", code="corrupt_record") from exc

    def retire_key(self, kid: str, at: float) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("UPDATE signing_keys SET retired_at = ? "
                       "WHERE kid = ? AND retired_at IS NULL",
                       (at, kid))
        self._writes.write(write)

    def save_consent(self, consent: Consent) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO consents VALUES (?, ?, ?, ?)",
                       (consent.subject, consent.client_id,
                        " ".join(sorted(consent.scopes)), consent.granted_at))
        self._writes.write(write)

    def consent(self, subject: str, client_id: str) -> Consent | None:
        with self._read() as db:
            row = db.execute("SELECT scopes, granted_at FROM consents "
                             "WHERE subject = ? AND client_id = ?", (subject, client_id)).fetchone()
        return Consent.stored(subject, client_id, *row) if row else None

    def consents(self, subject: str) -> list[Consent]:
        with self._read() as db:
            rows = db.execute("SELECT client_id, scopes, granted_at FROM consents "
                              "WHERE subject = ? ORDER BY client_id", (subject,)).fetchall()
        return [Consent(subject, r[0], frozenset(r[1].split()), r[2]) for r in rows]

    def revoke_consent(self, subject: str, client_id: str) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            cur = db.execute("DELETE FROM consents WHERE subject = ? AND client_id = ?",
                             (subject, client_id))
            return cur.rowcount > 0
        return self._writes.write(write)

    def save_grant(self, grant: Grant) -> None:
        def write(db: sqlite3.Connection) -> None:
            self._insert_grant(db, grant)
        self._writes.write(write)

    @staticmethod
    def _insert_grant(db: sqlite3.Connection, grant: Grant) -> None:
        # Expired grants are dead weight; sweep them whenever a new one is written.
        db.execute("DELETE FROM grants WHERE expires_at < ?", (grant.created_at,))
        db.execute("INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (grant.grant_id, grant.subject, grant.client_id,
                    " ".join(sorted(grant.scopes)), json.dumps(grant.details),
                    grant.refresh_hash, grant.created_at, grant.expires_at,
                    grant.revoked_at))

    def grant(self, grant_id: str) -> Grant | None:
        with self._read() as db:
            row = db.execute("SELECT grant_id, subject, client_id, scopes, details, refresh_hash,"
                             " created_at, expires_at, revoked_at FROM grants WHERE grant_id = ?",
                             (grant_id,)).fetchone()
        return None if row is None else _grant_of(row)

    def live_grants(self, subject: str, now: float) -> list[Grant]:
        """Every grant of ``subject`` neither revoked nor expired at ``now``, by client."""
        with self._read() as db:
            rows = db.execute("SELECT grant_id, subject, client_id, scopes, details,"
                              " refresh_hash, created_at, expires_at, revoked_at FROM grants"
                              " WHERE subject = ? AND revoked_at IS NULL AND expires_at > ?"
                              " ORDER BY client_id, created_at", (subject, now)).fetchall()
        return [_grant_of(row) for row in rows]

    def revocation_epoch(self, subject: str, client_id: str) -> int:
        """How many times ``subject`` has withdrawn ``client_id``'s access (0: never)."""
        with self._read() as db:
            return _epoch(db, subject, client_id)

    def consent_and_epoch(self, subject: str, client_id: str) -> tuple[Consent | None, int]:
        with self._read() as db:
            scopes, granted_at, epoch = db.execute(_CONSENT_AND_EPOCH,
                                                   (subject, client_id)).fetchone()
        return Consent.stored(subject, client_id, scopes, granted_at), int(epoch)

    def save_grant_if_consented(self, grant: Grant, needs: frozenset[str], epoch: int) -> bool:
        """Store ``grant`` only if its citizen's consent for its client still covers
        ``needs`` and the revocation epoch is still ``epoch``, in one atomic step.

        :returns: ``False`` (nothing stored) when the consent is gone or narrower, or a
            revocation came since ``epoch`` was read.
        """
        def write(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT scopes FROM consents WHERE subject = ? AND client_id = ?",
                             (grant.subject, grant.client_id)).fetchone()
            if row is None or not needs <= frozenset(row[0].split()) \
                    or _epoch(db, grant.subject, grant.client_id) != epoch:
                return False
            self._insert_grant(db, grant)
            return True
        return self._writes.write(write)

    def revoke_access(self, subject: str, client_id: str, at: float) -> int:
        """Withdraw ``client_id``'s access for ``subject`` in one atomic step: delete the
        consent, bump the revocation epoch, revoke every grant (with or without a consent).

        :returns: how many grants were revoked.
        """
        def write(db: sqlite3.Connection) -> int:
            db.execute("DELETE FROM consents WHERE subject = ? AND client_id = ?",
                       (subject, client_id))
            db.execute("INSERT INTO revocations VALUES (?, ?, 1, ?)"
                       " ON CONFLICT (subject, client_id)"
                       " DO UPDATE SET epoch = epoch + 1, revoked_at = excluded.revoked_at",
                       (subject, client_id, at))
            cur = db.execute("UPDATE grants SET revoked_at = ?, refresh_hash = NULL"
                             " WHERE subject = ? AND client_id = ? AND revoked_at IS NULL",
                             (at, subject, client_id))
            return cur.rowcount
        return self._writes.write(write)

    def rotate_refresh(self, grant_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace the refresh-token hash if it is still ``old_hash`` (compare-and-swap)."""
        def write(db: sqlite3.Connection) -> bool:
            cur = db.execute("UPDATE grants SET refresh_hash = ? WHERE grant_id = ?"
                             " AND refresh_hash = ? AND revoked_at IS NULL",
                             (new_hash, grant_id, old_hash))
            return cur.rowcount == 1
        return self._writes.write(write)

    def revoke_grant(self, grant_id: str, at: float) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            cur = db.execute("UPDATE grants SET revoked_at = ?, refresh_hash = NULL"
                             " WHERE grant_id = ? AND revoked_at IS NULL", (at, grant_id))
            return cur.rowcount > 0
        return self._writes.write(write)

    def revoke_grants(self, subject: str, client_id: str, at: float) -> int:
        def write(db: sqlite3.Connection) -> int:
            cur = db.execute("UPDATE grants SET revoked_at = ?, refresh_hash = NULL"
                             " WHERE subject = ? AND client_id = ? AND revoked_at IS NULL",
                             (at, subject, client_id))
            return cur.rowcount
        return self._writes.write(write)

    def add_logout_notices(self, notices: list[LogoutNotice]) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.executemany("INSERT INTO logout_notices VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(n.notice_id, n.client_id, n.subject, n.sid, n.created_at,
                             n.attempts, n.due_at) for n in notices])
        self._writes.write(write)

    def claim_logout_notices(self, now: float, lease: float, limit: int) -> list[LogoutNotice]:
        def write(db: sqlite3.Connection) -> list[LogoutNotice]:
            # One transaction (BEGIN IMMEDIATE): the select and the lease are one step.
            rows = db.execute("SELECT notice_id, client_id, subject, sid, created_at, attempts,"
                              " due_at FROM logout_notices WHERE due_at <= ?"
                              " ORDER BY due_at, notice_id LIMIT ?", (now, limit)).fetchall()
            db.executemany("UPDATE logout_notices SET due_at = ? WHERE notice_id = ?",
                           [(now + lease, r[0]) for r in rows])
            return [LogoutNotice(*r) for r in rows]
        return self._writes.write(write)

    def reschedule_logout_notice(self, notice_id: str, attempts: int, due_at: float) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("UPDATE logout_notices SET attempts = ?, due_at = ? WHERE notice_id = ?",
                       (attempts, due_at, notice_id))
        self._writes.write(write)

    def drop_logout_notice(self, notice_id: str) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM logout_notices WHERE notice_id = ?", (notice_id,))
        self._writes.write(write)

    def next_logout_due(self) -> float | None:
        with self._read() as db:
            row = db.execute("SELECT MIN(due_at) FROM logout_notices").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def instance_secret(self, name: str, size: int = 32) -> bytes:
        """The provider secret called ``name``, created (random) on first use and kept."""
        def write(db: sqlite3.Connection) -> bytes:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)",
                       (name, secrets.token_bytes(size)))
            row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            return bytes(row[0])
        return self._writes.write(write)

    def forget_consents_and_grants(self) -> None:
        """Delete every consent and grant; keys and secrets stay (the mock's reset)."""
        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM consents")
            db.execute("DELETE FROM grants")
            # Revocation epochs stay: one going back could revive a code issued before.
        self._writes.write(write)

    def add_registered_client(self, client: RegisteredClient) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            cur = db.execute("INSERT OR IGNORE INTO registered_clients VALUES (?, ?, ?, ?, ?)",
                             (client.client_id, json.dumps(client.metadata), client.secret_hash,
                              client.token_hash, client.issued_at))
            return cur.rowcount == 1
        return self._writes.write(write)

    def registered_client(self, client_id: str) -> RegisteredClient | None:
        with self._read() as db:
            row = db.execute("SELECT client_id, metadata, secret_hash, token_hash, issued_at"
                             " FROM registered_clients WHERE client_id = ?",
                             (client_id,)).fetchone()
        if row is None:
            return None
        try:
            metadata = json.loads(row[1])
        except ValueError as exc:
            raise StorageError("corrupt registered client row", code="corrupt_record") from exc
        if not isinstance(metadata, dict):
            raise StorageError("corrupt registered client row", code="corrupt_record")
        return RegisteredClient(row[0], metadata, row[2], row[3], row[4])

    def close(self) -> None:
        with self._read_lock:
            if self._reader is not self._db:
                self._reader.close()
        with self._lock:
            self._db.close()
