"""Durable state: signing keys, consents, grants, instance secrets and queued back-channel
logouts: the protocol (its SQLite default is :mod:`eid.storage.sqlite_durable`).

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

The data-access log (issue 14) is append-only: every release of a citizen's data
is an :class:`AccessEntry` at the next index, written with its RFC 9162 leaf hash
and the complete subtree hashes it closes (:mod:`eid.audit.merkle`), so a proof
reads ``O(log n)`` stored nodes. Appends from every thread, process and instance
serialise: indexes are consecutive, with no gap and no duplicate, and an entry is
committed before ``append_access`` returns. Signed checkpoints are kept beside it,
each larger than the last (a compare-and-set, so one signer wins per size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eid.audit import Node
from eid.storage.records import (
    AccessEntry,
    Consent,
    Grant,
    LogoutNotice,
    RegisteredClient,
    StoredCheckpoint,
    StoredKey,
)

__all__ = ["AccessEntry", "Consent", "DurableStore", "Grant", "LogoutNotice",
           "RegisteredClient", "StoredCheckpoint", "StoredKey"]


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

    def consent_and_epoch(self, subject: str, client_id: str) -> tuple[Consent | None, int]:
        """:meth:`consent` and :meth:`revocation_epoch` of one pair, read together: in
        one statement (one snapshot, one round trip), what an authorization reads
        before it issues a code."""
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

    # -- credential status (eid.storage.credential_status) -------------------------
    def add_credential_status(self, subject: str, client_id: str, grant_id: str, *,
                              expires_at: float, now: float) -> int | None:
        """Allocate the status-list index of a credential issued to ``client_id`` about
        ``subject``, remembering the citizen's revocation epoch for it, in one atomic step
        and only while the grant ``grant_id`` is not revoked.

        ``expires_at`` is the credential's ``exp``. In the same transaction a bounded
        number of entries of credentials expired a day (``SWEEP_GRACE``) before ``now``
        are removed: the table holds the credentials still valid, not every one ever
        issued (an expired credential is refused on its ``exp``, whatever its bit says).

        :returns: the index (1 and up, never reused), or ``None`` (nothing stored) when the
            grant was revoked meanwhile.
        """
        ...

    def credential_statuses(self) -> tuple[int, list[int]]:
        """``(size, revoked)``: one more than the largest index allocated (0: none), and
        the indexes, ascending, whose citizen has withdrawn the portal's access since."""
        ...

    # -- the data-access log ---------------------------------------------------
    def append_access(self, entry: AccessEntry) -> int:
        """Append ``entry`` with its leaf hash and the subtree hashes it completes, in one
        transaction committed before this returns.

        :returns: its 0-based index: one more than the last, whoever appended it.
        :raises StorageError: ``storage_unavailable`` (nothing appended: the caller must
            not release the data).
        """
        ...

    def access_size(self) -> int:
        """How many entries the log holds."""
        ...

    def access_entries(self, start: int, stop: int) -> list[AccessEntry]:
        """Entries ``[start, stop)`` in index order (fewer past the end of the log).

        :raises ConfigurationError: ``invalid_argument`` unless ``0 <= start <= stop``.
        :raises StorageError: ``corrupt_record`` for a row that is no entry.
        """
        ...

    def citizen_access(self, citizen: str, *, client_id: str | None = None,
                       before: int | None = None,
                       limit: int = 20) -> list[tuple[int, AccessEntry]]:
        """``citizen``'s entries with their indexes, newest first: at most ``limit``,
        only ``client_id``'s if given, only those before index ``before`` (the next
        page starts before the last index of this one).

        :raises ConfigurationError: ``invalid_argument`` for ``limit < 1`` or ``before < 0``.
        :raises StorageError: ``corrupt_record`` for a row that is no entry of ``citizen``.
        """
        ...

    def access_leaves(self, start: int, stop: int) -> list[bytes]:
        """The stored leaf hashes of entries ``[start, stop)`` (what ``eid audit verify``
        compares with the entries).

        :raises ConfigurationError: ``invalid_argument`` unless ``0 <= start <= stop``.
        """
        ...

    def access_nodes(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        """The stored hashes of the complete subtrees ``nodes`` (``(level, index)``; level
        0 are the leaves), read in one step; a node not stored is absent from the result."""
        ...

    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        """Store ``checkpoint`` if it is larger than the latest one, checked and inserted in
        one atomic step (of two signers of one size, one stores).

        :returns: ``False`` (nothing stored) when a checkpoint of this size or larger exists.
        """
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The largest stored checkpoint, or ``None`` before the first.

        :raises StorageError: ``corrupt_record`` for a row that cannot be read.
        """
        ...
