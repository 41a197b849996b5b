"""Credential status in the PostgreSQL durable store (see
:mod:`eid.storage.credential_status`; the table is in
:mod:`eid.storage.postgres_durable_schema`).

A mixin of :class:`~eid.storage.postgres_durable.PostgresDurableStore`. The index
comes from a sequence: a rolled-back allocation leaves a gap, which is harmless here
(an unused index is a valid bit nobody refers to).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from eid.storage.credential_status import (
    CREDENTIAL_STATUS_INSERT,
    CREDENTIAL_STATUS_SWEEP,
    REVOKED_CREDENTIALS,
    SWEEP_BATCH,
    SWEEP_GRACE,
)

__all__ = ["PostgresCredentialStatus"]

_INSERT = CREDENTIAL_STATUS_INSERT.replace("?", "%s")
# Two issuances sweeping at once would lock overlapping rows in whatever order their scans
# meet them, and could deadlock (one of them failing with 503): each skips the rows the
# other holds instead (SKIP LOCKED; SQLite has one writer at a time and needs none).
_SWEEP = CREDENTIAL_STATUS_SWEEP.replace("?", "%s").replace(
    "LIMIT %s)", "LIMIT %s FOR UPDATE SKIP LOCKED)")


class PostgresCredentialStatus:
    """The credential-status methods of the :class:`~eid.storage.durable.DurableStore`
    protocol."""

    if TYPE_CHECKING:
        def _tx(self) -> AbstractContextManager[Any]: ...

    def add_credential_status(self, subject: str, client_id: str, grant_id: str, *,
                              expires_at: float, now: float) -> int | None:
        # READ COMMITTED: a revocation committing meanwhile either made the grant revoked
        # before this statement's snapshot (nothing inserted) or moves the epoch after.
        with self._tx() as db:
            db.execute(_SWEEP, (now - SWEEP_GRACE, SWEEP_BATCH))
            row = db.execute(_INSERT, (subject, client_id, expires_at, subject, client_id,
                                       grant_id)).fetchone()
        return None if row is None else int(row[0])

    def credential_statuses(self) -> tuple[int, list[int]]:
        with self._tx() as db:
            top = db.execute("SELECT max(idx) FROM credential_status").fetchone()[0]
            revoked = [int(r[0]) for r in db.execute(REVOKED_CREDENTIALS).fetchall()]
        return (0 if top is None else int(top) + 1), revoked
