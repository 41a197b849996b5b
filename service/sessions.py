"""Login sessions: the cookie names a server-side record in the short-lived store.

The signed Flask cookie carries only a random session key; the record (who,
when, how, at which level) lives in the :class:`EphemeralStore`, so logging
out or expiring a session works across processes. ``sid`` (OIDC Front/Back-
Channel Logout) is a separate random value, so an ID token never carries the
key that would let someone replay the cookie; and an ID token carries it only
as :func:`client_sid`, per sector like ``sub``, so portals of different sectors
cannot link a citizen by it (issue 10 item 9).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import session

from eid.oidc import pairwise_subject
from eid.oidc.clients import Client
from service.provider import Provider, provider

__all__ = ["LoginSession", "browser_key", "client_sid", "current_session", "end_session",
           "start_session"]


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A signed-in citizen."""

    id_number: str
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    sid: str

    def as_dict(self) -> dict[str, Any]:
        return {"id_number": self.id_number, "auth_time": self.auth_time, "acr": self.acr,
                "amr": list(self.amr), "sid": self.sid}


def start_session(id_number: str, acr: str, amr: tuple[str, ...]) -> LoginSession:
    """Sign ``id_number`` in (replacing any earlier session: no session fixation)."""
    p = provider()
    end_session()
    session.pop("csrf", None)  # a new CSRF token for the signed-in session
    record = LoginSession(id_number, int(p.now()), acr, amr, secrets.token_urlsafe(16))
    key = secrets.token_urlsafe(32)
    p.ephemeral.put(f"session:{key}", record.as_dict(), p.settings.session_ttl)
    session["sk"] = key
    return record


def current_session() -> LoginSession | None:
    """The signed-in citizen, or ``None``."""
    key = session.get("sk")
    if not isinstance(key, str):
        return None
    raw = provider().ephemeral.get(f"session:{key}")
    if raw is None:
        session.pop("sk", None)
        return None
    return LoginSession(raw["id_number"], int(raw["auth_time"]), raw["acr"],
                        tuple(raw["amr"]), raw["sid"])


def end_session() -> None:
    """Sign out: drop the server-side record and the cookie's key."""
    key = session.pop("sk", None)
    if isinstance(key, str):
        provider().ephemeral.delete(f"session:{key}")


def browser_key() -> str:
    """A random value naming this browser (in the signed cookie), created on first use.

    Pending authorization requests are bound to it, so a request id handed to
    another browser (a lured victim) is worthless there.
    """
    key = session.get("bk")
    if not isinstance(key, str):
        key = secrets.token_urlsafe(16)
        session["bk"] = key
    return key


def client_sid(p: Provider, client: Client, sid: str) -> str:
    """The ``sid`` that ``client`` sees for the login session ``sid``.

    Computed like the pairwise ``sub`` (OIDC Core §8.1, :meth:`Provider.subject`):
    one value per sector identifier, so a portal's sessions stay recognisable
    for logout while portals of other sectors get unrelated values. From the
    session's own ``sid`` any portal's value can be recomputed, so logout finds
    the session from whichever portal's ID token. The ``sid:`` prefix keeps these
    apart from subjects (an ID number has no colon).
    """
    sector = client.sector if client.subject_type == "pairwise" else p.issuer
    return pairwise_subject(p.pairwise_secret, sector, f"sid:{sid}")
