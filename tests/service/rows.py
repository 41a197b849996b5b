"""Reading ``eid serve``'s durable store (``instance/eid.sqlite``) the way an auditor
would: every consent and grant row whole, and the ones acknowledged to clients there."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.service.load import PORTAL, FlowResult


def open_rows(instance: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{instance / 'eid.sqlite'}?mode=ro", uri=True, timeout=30)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return db


def assert_rows_whole(db: sqlite3.Connection) -> None:
    """No consent or grant row half there: every column a value of its type."""
    for subject, client_id, scopes, granted_at in db.execute(
            "SELECT subject, client_id, scopes, granted_at FROM consents"):
        assert subject and client_id and isinstance(granted_at, float)
        assert "openid" in scopes.split()
    for row in db.execute("SELECT grant_id, subject, client_id, scopes, details, refresh_hash, "
                          "created_at, expires_at, revoked_at FROM grants"):
        grant_id, subject, client_id, scopes, details, refresh_hash, created, expires, \
            revoked = row
        assert grant_id and subject and client_id and expires > created
        assert "openid" in scopes.split() and isinstance(json.loads(details), dict)
        # offline_access (what the load asks for) comes with its refresh token, which
        # only a revocation takes away
        assert refresh_hash or revoked, row


def assert_acknowledged_kept(db: sqlite3.Connection, results: list[FlowResult]) -> None:
    """Every consent answered with a code, and every grant answered with a refresh
    token, is in the durable store (and the grant is live)."""
    consents = {(s, c) for s, c in db.execute("SELECT subject, client_id FROM consents")}
    live = {g for (g,) in db.execute("SELECT grant_id FROM grants WHERE revoked_at IS NULL")}
    for result in results:
        if result.consented:
            assert (result.citizen, PORTAL[0]) in consents, result
        if result.refresh_token:
            assert result.refresh_token.partition(".")[0] in live, result
