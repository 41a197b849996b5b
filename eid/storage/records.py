"""The records of the durable store: what the login service keeps across restarts.

Frozen dataclasses, shared by the :class:`~eid.storage.durable.DurableStore`
protocol and every backend (:mod:`eid.storage.sqlite_durable` by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eid.audit.entry import AccessEntry

__all__ = ["AccessEntry", "Consent", "Grant", "LogoutNotice", "RegisteredClient",
           "StoredCheckpoint", "StoredKey"]


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

    @classmethod
    def stored(cls, subject: str, client_id: str, scopes: str | None,
               granted_at: float | None) -> Consent | None:
        """The consent of a stored row (scopes space-separated), ``None`` without one
        (the NULLs of an outer join, or no row)."""
        if scopes is None or granted_at is None:
            return None
        return cls(subject, client_id, frozenset(scopes.split()), granted_at)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a citizen authorised a client to hold: the root of its tokens.

    ``details`` keeps what tokens issued from the grant repeat (authentication
    time, ``acr``, ``amr``, ``sid``, the claims request, and under
    ``authorization_details`` the RFC 9396 ``vn_procedure`` object the citizen
    authorised). ``refresh_hash`` is the hash of the one live refresh token,
    ``None`` without ``offline_access``.

    The authorization details live inside ``details`` (stored as JSON by every
    backend) rather than in a column of their own: nothing is ever looked up by
    procedure, and the record stays one shape on SQLite and PostgreSQL.
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

    @property
    def authorization_details(self) -> tuple[dict[str, Any], ...]:
        """RFC 9396: the authorization details granted (at most one ``vn_procedure``)."""
        docs = self.details.get("authorization_details")
        if not isinstance(docs, list):
            return ()
        return tuple(d for d in docs if isinstance(d, dict))

    @property
    def procedure(self) -> str | None:
        """The code of the procedure this grant serves (``None``: the client's purpose)."""
        for doc in self.authorization_details:
            if doc.get("type") == "vn_procedure" and isinstance(doc.get("procedure"), str):
                return str(doc["procedure"])
        return None


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


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint of the data-access log: the tree of its first ``size`` entries
    had root ``root``; ``note`` is the signed note served as is (:mod:`eid.audit.note`)."""

    size: int
    root: bytes
    note: str
    signed_at: float
