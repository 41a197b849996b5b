"""The status of issued credentials (Token Status List, draft-ietf-oauth-status-list §4),
kept in the durable store beside the consents it follows; shared by both backends.

A credential gets an index when it is issued, stored with its citizen, its portal and
the citizen's revocation epoch for that portal at that moment. It is *revoked* once
the epoch has moved on: the citizen withdrew the portal's access after issuance
(``revoke_access`` bumps the epoch in the same transaction that revokes the grants).
Nothing is written at revocation time, so no revocation path can forget the credentials.

The index is allocated only while the grant behind the access token is still live, in
the same statement that reads the epoch: a revocation committed before it leaves
nothing to allocate (the request fails), one committed after it moves the epoch past
the stored one. Either way a withdrawn consent never yields a valid credential.
"""

from __future__ import annotations

__all__ = ["CREDENTIAL_STATUS_INSERT", "CREDENTIAL_STATUS_SWEEP", "REVOKED_CREDENTIALS",
           "SWEEP_BATCH", "SWEEP_GRACE"]

#: Parameters: subject, client_id, expires_at, subject, client_id, grant_id (``?``
#: placeholders; PostgreSQL's module swaps them for ``%s``).
CREDENTIAL_STATUS_INSERT = (
    "INSERT INTO credential_status (subject, client_id, expires_at, epoch)"
    " SELECT ?, ?, ?, COALESCE((SELECT epoch FROM revocations"
    " WHERE subject = ? AND client_id = ?), 0)"
    " WHERE EXISTS (SELECT 1 FROM grants WHERE grant_id = ? AND revoked_at IS NULL)"
    " RETURNING idx")

#: Expired entries removed per allocation: more than one, so the table shrinks back
#: after a burst, and few enough that an issuance never waits on a long delete.
SWEEP_BATCH = 16

#: Seconds an entry outlives its credential's ``exp``: a removed entry's bit reads
#: "valid", so not while a verifier with a slow clock or a leeway on ``exp`` might still
#: accept the credential (a revoked one must stay revoked for as long as that).
SWEEP_GRACE = 86_400

#: Parameters: now - SWEEP_GRACE, SWEEP_BATCH. Entries from before expiry was stored
#: (``expires_at`` NULL) stay: how long those credentials live is not known.
CREDENTIAL_STATUS_SWEEP = (
    "DELETE FROM credential_status WHERE idx IN (SELECT idx FROM credential_status"
    " WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)")

#: Every index whose citizen withdrew the portal's access after it was issued.
REVOKED_CREDENTIALS = (
    "SELECT c.idx FROM credential_status c JOIN revocations r"
    " ON r.subject = c.subject AND r.client_id = c.client_id WHERE r.epoch > c.epoch"
    " ORDER BY c.idx")
