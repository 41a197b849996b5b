"""Durable state: signing keys, consents, grants, instance secrets and queued back-channel
logouts, in SQLite by default.

A file under the service's instance folder (or ``:memory:`` for tests) keeps
what must survive a restart: the signing keys (so issued tokens stay
verifiable), the citizens' consents, the grants behind refresh tokens, and the
provider's own secrets (pairwise subjects, session cookies). Writes are
transactions, so a crash never leaves a half-written row.

Grants are durable rather than short-lived state: an ``offline_access``
refresh token outlives any session (OIDC Core §11), and revoking a consent
must find every grant of that citizen and portal, which is one indexed query
here. Only a hash of the current refresh token is kept; rotation is a
compare-and-swap on that hash, so of two concurrent uses of one token exactly
one wins and the other is detected as reuse (RFC 9700 §4.14.2).

Withdrawing a client's access (RFC 7009 §2.1, OIDC Core §11) bumps a
per-(citizen, client) revocation epoch in the same transaction that deletes
the consent and revokes every grant. A code carries the epoch it was issued
under, and its grant is stored only if that epoch is still current and the
consent still covers it, checked in the transaction that inserts the grant: a
code issued before a revocation, or redeemed while one commits, never yields a
live grant.

Back-channel logouts waiting for a portal that is down are durable too: a queue
the service restarts with (a deploy, a crash) must not drop them, and each
sender claims a notice with a lease in one transaction, so several worker
processes share the queue without sending a notice twice at once.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eid.errors import StorageError
from eid.storage.private_files import prepare_private_file

__all__ = ["Consent", "DurableStore", "Grant", "LogoutNotice", "RegisteredClient",
           "SqliteDurableStore", "StoredKey"]

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
# Columns added after a release: (table, column, declaration, statement filling old rows).
# An instance file written before them gets them on open (SQLite has ALTER TABLE ADD COLUMN
# but no ADD COLUMN IF NOT EXISTS, hence the PRAGMA table_info check).
_ADDED_COLUMNS = (
    ("signing_keys", "activates_at", "REAL",
     # A key from before scheduled rotation signed from its creation.
     "UPDATE signing_keys SET activates_at = created_at WHERE activates_at IS NULL"),
)


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A signing key as stored: its private JWK and lifetime.

    ``activates_at`` is when it starts signing (``None``: at ``created_at``); the
    key store derives every state (next, current, retired) from these times, so
    processes sharing one store agree without talking to each other.
    """

    kid: str
    alg: str
    private_jwk: dict[str, Any]
    created_at: float
    retired_at: float | None = None
    activates_at: float | None = None

    @property
    def activation(self) -> float:
        """When the key signs from (its creation unless scheduled)."""
        return self.created_at if self.activates_at is None else self.activates_at


@dataclass(frozen=True, slots=True)
class Consent:
    """A citizen's remembered consent for one client."""

    subject: str  # the personal ID number (never leaves the provider)
    client_id: str
    scopes: frozenset[str]
    granted_at: float


@dataclass(frozen=True, slots=True)
class Grant:
    """What a citizen authorised a client to hold: the root of its tokens.

    ``details`` keeps what tokens issued from the grant repeat (authentication
    time, ``acr``, ``amr``, ``sid``, the claims request). ``refresh_hash`` is
    the hash of the one live refresh token, ``None`` without ``offline_access``.
    """

    grant_id: str
    subject: str  # the personal ID number (never leaves the provider)
    client_id: str
    scopes: frozenset[str]
    details: dict[str, Any]
    refresh_hash: str | None
    created_at: float
    expires_at: float
    revoked_at: float | None = None

    def live(self, now: float) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class LogoutNotice:
    """A back-channel logout still to deliver (OIDC Back-Channel Logout 1.0 §2.5).

    It holds what the portal may see, never the ID number: ``subject`` and ``sid``
    are the values this client got in its ID token (pairwise). The logout token
    itself is signed afresh for each attempt, since receivers refuse an old ``iat``.
    """

    notice_id: str
    client_id: str
    subject: str
    sid: str
    created_at: float
    attempts: int = 0
    due_at: float = 0.0


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """A dynamically registered client (RFC 7591) as stored.

    ``metadata`` is the registered metadata as the provider accepted it (it is
    validated again whenever it is read); secrets are kept only as hashes: the
    client secret (``None`` for a client that authenticates with its keys) and
    the registration access token of RFC 7592 §3.
    """

    client_id: str
    metadata: dict[str, Any]
    secret_hash: str | None
    token_hash: str
    issued_at: float


class DurableStore(Protocol):
    """What the login service keeps across restarts: every method the service calls.

    The service and the key store are typed on this protocol, never on a backend,
    so another engine (PostgreSQL) slots in behind it; ``tests/storage`` holds the
    contract every backend passes. Writes are atomic: a failure leaves no half row.
    """

    def add_key(self, key: StoredKey) -> None:
        """Store a new signing key (its ``kid`` is unique)."""
        ...

    def signing_keys(self) -> list[StoredKey]:
        """Every stored key, retired ones included, oldest first."""
        ...

    def retire_key(self, kid: str, at: float) -> None:
        """Mark ``kid`` retired at ``at`` (it stays published until its tokens expire)."""
        ...

    def schedule_key(self, key: StoredKey, after: float) -> bool:
        """Store ``key`` unless a key of the same ``alg`` activates later than ``after``,
        checked and inserted in one atomic step.

        A rotation passes ``after=now``, so of two concurrent rotations only one
        schedules a next key; a first start passes ``after=-inf``, so of two workers
        creating the first key only one does.

        :returns: ``False`` (nothing stored) when such a key exists.
        """
        ...

    def save_consent(self, consent: Consent) -> None:
        """Store or replace the consent of ``consent.subject`` for ``consent.client_id``."""
        ...

    def consent(self, subject: str, client_id: str) -> Consent | None:
        """The remembered consent, or ``None``."""
        ...

    def consents(self, subject: str) -> list[Consent]:
        """Every consent of ``subject`` (what "My shared data" lists)."""
        ...

    def revoke_consent(self, subject: str, client_id: str) -> bool:
        """Delete the consent only (``True`` if there was one); see :meth:`revoke_access`."""
        ...

    def save_grant(self, grant: Grant) -> None:
        """Store a new grant unconditionally (see :meth:`save_grant_if_consented`)."""
        ...

    def grant(self, grant_id: str) -> Grant | None:
        """The grant, live or not, or ``None``.

        :raises StorageError: ``corrupt_record`` for a row that cannot be read.
        """
        ...

    def rotate_refresh(self, grant_id: str, old_hash: str, new_hash: str) -> bool:
        """Compare-and-swap the live refresh-token hash of an unrevoked grant.

        ``False`` when ``old_hash`` is no longer current: the caller treats it as
        reuse (RFC 9700 §4.14.2).
        """
        ...

    def revoke_grant(self, grant_id: str, at: float) -> bool:
        """Revoke one grant (``True`` if it was live)."""
        ...

    def revoke_grants(self, subject: str, client_id: str, at: float) -> int:
        """Revoke every grant of ``subject`` for ``client_id``; how many were live."""
        ...

    def add_logout_notices(self, notices: list[LogoutNotice]) -> None:
        """Queue back-channel logouts (all or none)."""
        ...

    def claim_logout_notices(self, now: float, lease: float, limit: int) -> list[LogoutNotice]:
        """Up to ``limit`` notices due at ``now``, oldest due first, each made due again only
        ``lease`` seconds later in the same step: two senders never claim the same notice,
        and a sender that dies mid-delivery leaves it to be retried, not lost.
        """
        ...

    def reschedule_logout_notice(self, notice_id: str, attempts: int, due_at: float) -> None:
        """Record a failed attempt: ``attempts`` so far, next try at ``due_at``."""
        ...

    def drop_logout_notice(self, notice_id: str) -> None:
        """Forget a notice: delivered, refused by its portal, or given up on."""
        ...

    def next_logout_due(self) -> float | None:
        """When the earliest queued notice is due, or ``None`` for an empty queue."""
        ...

    def instance_secret(self, name: str, size: int = 32) -> bytes:
        """The instance's secret called ``name``, created (``size`` random bytes) on first use."""
        ...

    def forget_consents_and_grants(self) -> None:
        """Delete every consent and grant (the mock's reset; keys, secrets and
        revocation epochs stay, so no old code comes back to life)."""
        ...

    def close(self) -> None:
        """Release the backend's connections; the store is unusable afterwards."""
        ...

    def add_registered_client(self, client: RegisteredClient) -> bool:
        """Store a newly registered client; ``False`` (nothing stored) if its id is taken."""
        ...

    def registered_client(self, client_id: str) -> RegisteredClient | None:
        """The registered client, or ``None``.

        :raises StorageError: ``corrupt_record`` for a row that cannot be read.
        """
        ...

    def live_grants(self, subject: str, now: float) -> list[Grant]:
        """Every grant of ``subject`` neither revoked nor expired at ``now``, by client."""
        ...

    def revocation_epoch(self, subject: str, client_id: str) -> int:
        """How many times ``subject`` has withdrawn ``client_id``'s access (0: never)."""
        ...

    def save_grant_if_consented(self, grant: Grant, needs: frozenset[str], epoch: int) -> bool:
        """Store ``grant`` only if its citizen's consent for its client still covers
        ``needs`` and the revocation epoch is still ``epoch``, in one atomic step.

        :returns: ``False`` (nothing stored) when the consent is gone or narrower, or a
            revocation came since ``epoch`` was read.
        """
        ...

    def revoke_access(self, subject: str, client_id: str, at: float) -> int:
        """Withdraw ``client_id``'s access for ``subject`` in one atomic step: delete the
        consent, bump the revocation epoch, revoke every grant (with or without a consent).

        :returns: how many grants were revoked.
        """
        ...


def _grant_of(row: tuple[Any, ...]) -> Grant:
    try:
        details = json.loads(row[4])
    except ValueError as exc:
        raise StorageError("corrupt grant row", code="corrupt_record") from exc
    return Grant(row[0], row[1], row[2], frozenset(row[3].split()), details, row[5],
                 row[6], row[7], row[8])


def _epoch(db: sqlite3.Connection, subject: str, client_id: str) -> int:
    row = db.execute("SELECT epoch FROM revocations WHERE subject = ? AND client_id = ?",
                     (subject, client_id)).fetchone()
    return int(row[0]) if row else 0


class SqliteDurableStore:
    """The embedded default: one SQLite file (or ``:memory:``), safe across threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        """Open (or create, owner-only) the database at ``path``.

        :raises StorageError: ``insecure_key_file`` when others can read the file
            (it holds the private signing keys); ``storage_unavailable``.
        """
        self._lock = threading.Lock()
        if str(path) not in (":memory:", ""):
            prepare_private_file(path)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            if str(path) != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {path}: {exc}", code="storage_unavailable") from exc

    def _migrate(self) -> None:
        with self._tx() as db:
            for table, column, declaration, fill in _ADDED_COLUMNS:
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    db.execute(fill)

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

    @staticmethod
    def _insert_key(db: sqlite3.Connection, key: StoredKey) -> None:
        db.execute("INSERT INTO signing_keys (kid, alg, private_jwk, created_at, retired_at, "
                   "activates_at) VALUES (?, ?, ?, ?, ?, ?)",
                   (key.kid, key.alg, json.dumps(key.private_jwk), key.created_at,
                    key.retired_at, key.activation))

    def add_key(self, key: StoredKey) -> None:
        with self._tx() as db:
            self._insert_key(db, key)

    def schedule_key(self, key: StoredKey, after: float) -> bool:
        with self._tx() as db:
            # BEGIN IMMEDIATE holds the write lock: no other process inserts between the
            # check and the insert.
            later = db.execute("SELECT 1 FROM signing_keys WHERE alg = ? AND activates_at > ?",
                               (key.alg, after)).fetchone()
            if later is not None:
                return False
            self._insert_key(db, key)
            return True

    def signing_keys(self) -> list[StoredKey]:
        with self._tx() as db:
            rows = db.execute("SELECT kid, alg, private_jwk, created_at, retired_at, "
                              "activates_at FROM signing_keys ORDER BY created_at, kid").fetchall()
        try:
            return [StoredKey(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5]) for r in rows]
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

    def save_grant(self, grant: Grant) -> None:
        with self._tx() as db:
            self._insert_grant(db, grant)

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
        with self._tx() as db:
            row = db.execute("SELECT grant_id, subject, client_id, scopes, details, refresh_hash,"
                             " created_at, expires_at, revoked_at FROM grants WHERE grant_id = ?",
                             (grant_id,)).fetchone()
        return None if row is None else _grant_of(row)

    def live_grants(self, subject: str, now: float) -> list[Grant]:
        """Every grant of ``subject`` neither revoked nor expired at ``now``, by client."""
        with self._tx() as db:
            rows = db.execute("SELECT grant_id, subject, client_id, scopes, details,"
                              " refresh_hash, created_at, expires_at, revoked_at FROM grants"
                              " WHERE subject = ? AND revoked_at IS NULL AND expires_at > ?"
                              " ORDER BY client_id, created_at", (subject, now)).fetchall()
        return [_grant_of(row) for row in rows]

    def revocation_epoch(self, subject: str, client_id: str) -> int:
        """How many times ``subject`` has withdrawn ``client_id``'s access (0: never)."""
        with self._tx() as db:
            return _epoch(db, subject, client_id)

    def save_grant_if_consented(self, grant: Grant, needs: frozenset[str], epoch: int) -> bool:
        """Store ``grant`` only if its citizen's consent for its client still covers
        ``needs`` and the revocation epoch is still ``epoch``, in one atomic step.

        :returns: ``False`` (nothing stored) when the consent is gone or narrower, or a
            revocation came since ``epoch`` was read.
        """
        with self._tx() as db:
            row = db.execute("SELECT scopes FROM consents WHERE subject = ? AND client_id = ?",
                             (grant.subject, grant.client_id)).fetchone()
            if row is None or not needs <= frozenset(row[0].split()) \
                    or _epoch(db, grant.subject, grant.client_id) != epoch:
                return False
            self._insert_grant(db, grant)
            return True

    def revoke_access(self, subject: str, client_id: str, at: float) -> int:
        """Withdraw ``client_id``'s access for ``subject`` in one atomic step: delete the
        consent, bump the revocation epoch, revoke every grant (with or without a consent).

        :returns: how many grants were revoked.
        """
        with self._tx() as db:
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

    def rotate_refresh(self, grant_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace the refresh-token hash if it is still ``old_hash`` (compare-and-swap)."""
        with self._tx() as db:
            cur = db.execute("UPDATE grants SET refresh_hash = ? WHERE grant_id = ?"
                             " AND refresh_hash = ? AND revoked_at IS NULL",
                             (new_hash, grant_id, old_hash))
            return cur.rowcount == 1

    def revoke_grant(self, grant_id: str, at: float) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE grants SET revoked_at = ?, refresh_hash = NULL"
                             " WHERE grant_id = ? AND revoked_at IS NULL", (at, grant_id))
            return cur.rowcount > 0

    def revoke_grants(self, subject: str, client_id: str, at: float) -> int:
        with self._tx() as db:
            cur = db.execute("UPDATE grants SET revoked_at = ?, refresh_hash = NULL"
                             " WHERE subject = ? AND client_id = ? AND revoked_at IS NULL",
                             (at, subject, client_id))
            return cur.rowcount

    def add_logout_notices(self, notices: list[LogoutNotice]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO logout_notices VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(n.notice_id, n.client_id, n.subject, n.sid, n.created_at,
                             n.attempts, n.due_at) for n in notices])

    def claim_logout_notices(self, now: float, lease: float, limit: int) -> list[LogoutNotice]:
        with self._tx() as db:  # BEGIN IMMEDIATE: select and lease are one step
            rows = db.execute("SELECT notice_id, client_id, subject, sid, created_at, attempts,"
                              " due_at FROM logout_notices WHERE due_at <= ?"
                              " ORDER BY due_at, notice_id LIMIT ?", (now, limit)).fetchall()
            db.executemany("UPDATE logout_notices SET due_at = ? WHERE notice_id = ?",
                           [(now + lease, r[0]) for r in rows])
        return [LogoutNotice(*r) for r in rows]

    def reschedule_logout_notice(self, notice_id: str, attempts: int, due_at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE logout_notices SET attempts = ?, due_at = ? WHERE notice_id = ?",
                       (attempts, due_at, notice_id))

    def drop_logout_notice(self, notice_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM logout_notices WHERE notice_id = ?", (notice_id,))

    def next_logout_due(self) -> float | None:
        with self._tx() as db:
            row = db.execute("SELECT MIN(due_at) FROM logout_notices").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def instance_secret(self, name: str, size: int = 32) -> bytes:
        """The provider secret called ``name``, created (random) on first use and kept."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO secrets VALUES (?, ?)",
                       (name, secrets.token_bytes(size)))
            row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    def forget_consents_and_grants(self) -> None:
        """Delete every consent and grant; keys and secrets stay (the mock's reset)."""
        with self._tx() as db:
            db.execute("DELETE FROM consents")
            db.execute("DELETE FROM grants")
            # Revocation epochs stay: one going back could revive a code issued before.

    def add_registered_client(self, client: RegisteredClient) -> bool:
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO registered_clients VALUES (?, ?, ?, ?, ?)",
                             (client.client_id, json.dumps(client.metadata), client.secret_hash,
                              client.token_hash, client.issued_at))
            return cur.rowcount == 1

    def registered_client(self, client_id: str) -> RegisteredClient | None:
        with self._tx() as db:
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
        with self._lock:
            self._db.close()
