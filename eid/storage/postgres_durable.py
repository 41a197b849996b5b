"""The durable store in PostgreSQL, chosen by ``EID_DATABASE_URL``: for several instances.

It implements the whole :class:`~eid.storage.durable.DurableStore` protocol with
the semantics of the SQLite default (see :mod:`eid.storage.durable` for what is
kept and why), through a bounded psycopg 3 pool (:mod:`eid.storage.postgres_pool`).
Every method is one transaction (the pool commits when the block ends without an
error and rolls back otherwise), at PostgreSQL's default READ COMMITTED, with
locks where a check and a write must be one step:

* ``save_grant_if_consented`` and ``revoke_access`` take a transaction-level
  advisory lock on the (citizen, client) pair, so a grant checked against the
  consent and epoch is either committed before a revocation starts (and revoked
  by it) or checked after it committed (and refused);
* ``schedule_key`` locks the key table against writers (not readers), so of two
  concurrent rotations only one schedules a key;
* ``append_access`` locks the log against other appenders (not readers) for its
  transaction, so the next index is read and inserted in one step: indexes are
  consecutive across instances, and a rolled-back append leaves no gap (a sequence
  would: ``nextval`` is never rolled back); ``save_checkpoint`` likewise;
* ``claim_logout_notices`` leases with ``FOR UPDATE SKIP LOCKED``: two senders
  never claim one notice and neither waits for the other.

A backend failure of any kind is ``StorageError("storage_unavailable")`` (the
service answers 503); the pool replaces connections a server restart broke.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eid.errors import StorageError
from eid.storage.postgres_access_log import PostgresAccessLog
from eid.storage.postgres_credential_status import PostgresCredentialStatus
from eid.storage.postgres_durable_schema import SCHEMA_VERSION, create_schema, pair_lock
from eid.storage.postgres_pool import PoolSettings, open_pool, translate_errors
from eid.storage.records import Consent, Grant, LogoutNotice, RegisteredClient, StoredKey

__all__ = ["PostgresDurableStore"]

# One advisory lock per (citizen, client), the schema's grant-saving function's too.
_PAIR_LOCK = "SELECT " + pair_lock("%s", "%s")
# Expired grants are dead weight; a write sweeps a bounded batch of them, skipping rows
# another transaction holds (so concurrent writers neither wait nor deadlock on the sweep).
# The sweep rides with the insert as a data-modifying CTE: one statement, one round trip
# (the rows it deletes are expired, the one inserted is not, so neither sees the other).
_INSERT_GRANT = (
    "WITH swept AS (DELETE FROM grants WHERE grant_id IN (SELECT grant_id FROM grants"
    " WHERE expires_at < %s LIMIT 100 FOR UPDATE SKIP LOCKED))"
    " INSERT INTO grants (grant_id, subject, client_id, scopes, details, refresh_hash,"
    " created_at, expires_at, revoked_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")
# A grant saved under its pair's lock only while the consent covers it and the epoch is
# the code's (the schema's eid_save_grant_if_consented, where the lock comes first and the
# reads after it, each with its own snapshot), in one statement and its own transaction.
_SAVE_GRANT_IF_CONSENTED = (
    "SELECT eid_save_grant_if_consented(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
# The pair's consent (NULLs without one) and epoch outside a lock: what an authorization
# reads before it issues a code.
_CONSENT_ROW_AND_EPOCH = (
    "SELECT k.scopes, k.granted_at, COALESCE(r.epoch, 0)"
    " FROM (SELECT %s::text AS s, %s::text AS c) AS pair"
    " LEFT JOIN consents AS k ON k.subject = pair.s AND k.client_id = pair.c"
    " LEFT JOIN revocations AS r ON r.subject = pair.s AND r.client_id = pair.c")
_CLAIM = (
    "WITH picked AS (SELECT notice_id, client_id, subject, sid, created_at, attempts, due_at"
    " FROM logout_notices WHERE due_at <= %s ORDER BY due_at, notice_id LIMIT %s"
    " FOR UPDATE SKIP LOCKED),"
    " leased AS (UPDATE logout_notices n SET due_at = %s FROM picked"
    " WHERE n.notice_id = picked.notice_id)"
    " SELECT * FROM picked ORDER BY due_at, notice_id"
)


def _grant_of(row: tuple[Any, ...]) -> Grant:
    try:
        details = json.loads(row[4])
    except (TypeError, ValueError) as exc:
        raise StorageError("corrupt grant row", code="corrupt_record") from exc
    if not isinstance(details, dict):
        raise StorageError("corrupt grant row", code="corrupt_record")
    return Grant(row[0], row[1], row[2], frozenset(row[3].split()), details, row[5],
                 row[6], row[7], row[8])


class PostgresDurableStore(PostgresAccessLog, PostgresCredentialStatus):
    """The durable store on a PostgreSQL database, shared by every instance using it."""

    def __init__(self, url: str, pool: PoolSettings | None = None) -> None:
        """Connect to ``url`` and create the tables if missing.

        :raises ConfigurationError: ``invalid_url``.
        :raises StorageError: ``storage_unavailable`` (the server cannot be reached),
            ``schema_mismatch`` (the database holds another version of the schema).
        """
        self._pool = open_pool(url, pool or PoolSettings(), name="durable")
        try:
            with self._tx() as db:
                version = create_schema(db)
        except BaseException:
            self._pool.close()
            raise
        if version != SCHEMA_VERSION:
            self._pool.close()
            raise StorageError(f"the database holds durable schema {version!r}, this release"
                               f" needs {SCHEMA_VERSION!r}", code="schema_mismatch")

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with translate_errors("durable store"), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _statement(self) -> Iterator[Any]:
        """A connection for one statement, in autocommit: the statement is its own
        transaction (and snapshot, at READ COMMITTED), without the BEGIN and COMMIT
        round trips around it."""
        with translate_errors("durable store"), self._pool.connection() as conn:
            conn.autocommit = True
            try:
                yield conn
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.close()

    # -- signing keys ----------------------------------------------------------
    @staticmethod
    def _insert_key(db: Any, key: StoredKey) -> None:
        db.execute("INSERT INTO signing_keys (kid, alg, private_jwk, created_at, retired_at,"
                   " activates_at) VALUES (%s, %s, %s, %s, %s, %s)",
                   (key.kid, key.alg, json.dumps(key.private_jwk), key.created_at,
                    key.retired_at, key.activation))

    def add_key(self, key: StoredKey) -> None:
        with self._tx() as db:
            self._insert_key(db, key)

    def schedule_key(self, key: StoredKey, after: float) -> bool:
        with self._tx() as db:
            # Conflicts with writers and with itself, not with readers: the check and the
            # insert are one step while signing keys stay readable.
            db.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            later = db.execute("SELECT 1 FROM signing_keys WHERE alg = %s AND activates_at > %s",
                               (key.alg, after)).fetchone()
            if later is not None:
                return False
            self._insert_key(db, key)
            return True

    def signing_keys(self) -> list[StoredKey]:
        with self._statement() as db:
            rows = db.execute("SELECT kid, alg, private_jwk, created_at, retired_at,"
                              " activates_at FROM signing_keys ORDER BY created_at, kid"
                              ).fetchall()
        try:
            keys = [StoredKey(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5]) for r in rows]
        except ValueError as exc:
            raise StorageError("corrupt signing key row", code="corrupt_record") from exc
        if not all(isinstance(k.private_jwk, dict) for k in keys):
            raise StorageError("corrupt signing key row", code="corrupt_record")
        return keys

    def retire_key(self, kid: str, at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE signing_keys SET retired_at = %s"
                       " WHERE kid = %s AND retired_at IS NULL", (at, kid))

    # -- consents --------------------------------------------------------------
    def save_consent(self, consent: Consent) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO consents VALUES (%s, %s, %s, %s)"
                       " ON CONFLICT (subject, client_id) DO UPDATE"
                       " SET scopes = excluded.scopes, granted_at = excluded.granted_at",
                       (consent.subject, consent.client_id,
                        " ".join(sorted(consent.scopes)), consent.granted_at))

    def consent(self, subject: str, client_id: str) -> Consent | None:
        with self._statement() as db:
            row = db.execute("SELECT scopes, granted_at FROM consents"
                             " WHERE subject = %s AND client_id = %s",
                             (subject, client_id)).fetchone()
        return Consent.stored(subject, client_id, *row) if row else None

    def consents(self, subject: str) -> list[Consent]:
        with self._statement() as db:
            rows = db.execute("SELECT client_id, scopes, granted_at FROM consents"
                              " WHERE subject = %s ORDER BY client_id", (subject,)).fetchall()
        return [Consent(subject, r[0], frozenset(r[1].split()), r[2]) for r in rows]

    def revoke_consent(self, subject: str, client_id: str) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM consents WHERE subject = %s AND client_id = %s",
                             (subject, client_id))
            return bool(cur.rowcount > 0)

    # -- grants ----------------------------------------------------------------
    @staticmethod
    def _grant_values(grant: Grant) -> tuple[Any, ...]:
        return (grant.grant_id, grant.subject, grant.client_id, " ".join(sorted(grant.scopes)),
                json.dumps(grant.details), grant.refresh_hash, grant.created_at,
                grant.expires_at, grant.revoked_at)

    def save_grant(self, grant: Grant) -> None:
        with self._statement() as db:  # one statement: its own transaction
            db.execute(_INSERT_GRANT, (grant.created_at, *self._grant_values(grant)))

    def grant(self, grant_id: str) -> Grant | None:
        with self._statement() as db:
            row = db.execute("SELECT grant_id, subject, client_id, scopes, details, refresh_hash,"
                             " created_at, expires_at, revoked_at FROM grants WHERE grant_id = %s",
                             (grant_id,)).fetchone()
        return None if row is None else _grant_of(row)

    def live_grants(self, subject: str, now: float) -> list[Grant]:
        with self._statement() as db:
            rows = db.execute("SELECT grant_id, subject, client_id, scopes, details,"
                              " refresh_hash, created_at, expires_at, revoked_at FROM grants"
                              " WHERE subject = %s"
                              " AND revoked_at IS NULL AND expires_at > %s"
                              " ORDER BY client_id, created_at", (subject, now)).fetchall()
        return [_grant_of(row) for row in rows]

    @staticmethod
    def _epoch(db: Any, subject: str, client_id: str) -> int:
        row = db.execute("SELECT epoch FROM revocations WHERE subject = %s AND client_id = %s",
                         (subject, client_id)).fetchone()
        return int(row[0]) if row else 0

    def revocation_epoch(self, subject: str, client_id: str) -> int:
        with self._statement() as db:
            return self._epoch(db, subject, client_id)

    def consent_and_epoch(self, subject: str, client_id: str) -> tuple[Consent | None, int]:
        with self._statement() as db:
            scopes, granted_at, epoch = db.execute(_CONSENT_ROW_AND_EPOCH,
                                                   (subject, client_id)).fetchone()
        return Consent.stored(subject, client_id, scopes, granted_at), int(epoch)

    def save_grant_if_consented(self, grant: Grant, needs: frozenset[str], epoch: int) -> bool:
        # The lock, the checks and the insert run in the server (the schema's
        # eid_save_grant_if_consented): one statement, its own transaction.
        with self._statement() as db:
            row = db.execute(_SAVE_GRANT_IF_CONSENTED,
                             (*self._grant_values(grant), sorted(needs), epoch)).fetchone()
        return bool(row[0])

    def revoke_access(self, subject: str, client_id: str, at: float) -> int:
        with self._tx() as db:
            db.execute(_PAIR_LOCK, (subject, client_id))
            db.execute("DELETE FROM consents WHERE subject = %s AND client_id = %s",
                       (subject, client_id))
            db.execute("INSERT INTO revocations VALUES (%s, %s, 1, %s)"
                       " ON CONFLICT (subject, client_id) DO UPDATE"
                       " SET epoch = revocations.epoch + 1, revoked_at = excluded.revoked_at",
                       (subject, client_id, at))
            cur = db.execute("UPDATE grants SET revoked_at = %s, refresh_hash = NULL"
                             " WHERE subject = %s AND client_id = %s AND revoked_at IS NULL",
                             (at, subject, client_id))
            return int(cur.rowcount)

    def rotate_refresh(self, grant_id: str, old_hash: str, new_hash: str) -> bool:
        with self._tx() as db:
            # One UPDATE: its row lock makes the compare-and-swap atomic (RFC 9700 §4.14.2).
            cur = db.execute("UPDATE grants SET refresh_hash = %s WHERE grant_id = %s"
                             " AND refresh_hash = %s AND revoked_at IS NULL",
                             (new_hash, grant_id, old_hash))
            return bool(cur.rowcount == 1)

    def revoke_grant(self, grant_id: str, at: float) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE grants SET revoked_at = %s, refresh_hash = NULL"
                             " WHERE grant_id = %s AND revoked_at IS NULL", (at, grant_id))
            return bool(cur.rowcount > 0)

    def revoke_grants(self, subject: str, client_id: str, at: float) -> int:
        with self._tx() as db:
            cur = db.execute("UPDATE grants SET revoked_at = %s, refresh_hash = NULL"
                             " WHERE subject = %s AND client_id = %s AND revoked_at IS NULL",
                             (at, subject, client_id))
            return int(cur.rowcount)

    # -- back-channel logout queue --------------------------------------------------
    def add_logout_notices(self, notices: list[LogoutNotice]) -> None:
        with self._tx() as db, db.cursor() as cur:
            cur.executemany("INSERT INTO logout_notices VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            [(n.notice_id, n.client_id, n.subject, n.sid, n.created_at,
                              n.attempts, n.due_at) for n in notices])

    def claim_logout_notices(self, now: float, lease: float, limit: int) -> list[LogoutNotice]:
        with self._tx() as db:
            rows = db.execute(_CLAIM, (now, limit, now + lease)).fetchall()
        return [LogoutNotice(*r) for r in rows]

    def reschedule_logout_notice(self, notice_id: str, attempts: int, due_at: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE logout_notices SET attempts = %s, due_at = %s"
                       " WHERE notice_id = %s", (attempts, due_at, notice_id))

    def drop_logout_notice(self, notice_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM logout_notices WHERE notice_id = %s", (notice_id,))

    def next_logout_due(self) -> float | None:
        with self._statement() as db:
            row = db.execute("SELECT min(due_at) FROM logout_notices").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    # -- instance secrets, the mock's reset, registered clients ------------------------
    def instance_secret(self, name: str, size: int = 32) -> bytes:
        with self._tx() as db:
            # Of two instances creating it at once, the second's insert waits for the
            # first's and does nothing; its next statement reads the first's value.
            db.execute("INSERT INTO secrets VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                       (name, secrets.token_bytes(size)))
            row = db.execute("SELECT value FROM secrets WHERE name = %s", (name,)).fetchone()
        return bytes(row[0])

    def forget_consents_and_grants(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM consents")
            db.execute("DELETE FROM grants")
            # Revocation epochs stay: one going back could revive a code issued before.

    def add_registered_client(self, client: RegisteredClient) -> bool:
        with self._tx() as db:
            cur = db.execute("INSERT INTO registered_clients VALUES (%s, %s, %s, %s, %s)"
                             " ON CONFLICT (client_id) DO NOTHING",
                             (client.client_id, json.dumps(client.metadata),
                              client.secret_hash, client.token_hash, client.issued_at))
            return bool(cur.rowcount == 1)

    def registered_client(self, client_id: str) -> RegisteredClient | None:
        with self._tx() as db:
            row = db.execute("SELECT client_id, metadata, secret_hash, token_hash, issued_at"
                             " FROM registered_clients WHERE client_id = %s",
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
