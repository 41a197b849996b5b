"""Login sessions: the cookie names a server-side record in the short-lived store.

The signed Flask cookie carries only a random session key; the record (who,
when, how, at which level) lives in the :class:`EphemeralStore`, so logging
out or expiring a session works across processes. ``sid`` (OIDC Front/Back-
Channel Logout) is a separate random value, so an ID token never carries the
key that would let someone replay the cookie; and an ID token carries it only
as :func:`client_sid`, per sector like ``sub``, so portals of different sectors
cannot link a citizen by it (issue 10 item 9).

Which portals got an ID token in a session is kept beside the record
(:func:`client_entry`), so that ending the session can tell each of them
(OIDC Back-Channel Logout 1.0 §2.5; :mod:`service.backchannel`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from eid.oidc import pairwise_subject
from eid.oidc.clients import Client
from service.context import this_globals, this_session
from service.provider import Provider, provider
from service.state_keys import session as session_key
from service.state_keys import session_client
from service.state_keys import session_clients as clients_key

__all__ = ["LoginSession", "browser_key", "client_entry", "client_sid", "current_session",
           "end_session", "session_clients", "start_session"]

#: How many token issuances of one session are remembered for back-channel logout.
_MAX_CLIENTS = 64

#: ``g`` attribute: (cookie key, record) of the session read or started in this request.
_CURRENT = "eid_login_session"


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
    """Sign ``id_number`` in (replacing any earlier session: no session fixation).

    The new session gets a new cookie key always; it keeps the ``sid`` of the session
    it replaces when that was the same citizen's (a re-authentication), so portals that
    signed in under the earlier login are still reached by its back-channel logout.
    """
    p = provider()
    earlier = end_session()
    session = this_session()
    session.pop("csrf", None)  # a new CSRF token for the signed-in session
    sid = earlier.sid if earlier is not None and earlier.id_number == id_number \
        else secrets.token_urlsafe(16)
    record = LoginSession(id_number, int(p.now()), acr, amr, sid)
    # The key names its sid: the session's keys share a Redis Cluster slot (state_keys).
    key = f"{sid}.{secrets.token_urlsafe(32)}"
    p.ephemeral.put(session_key(key), record.as_dict(), p.settings.session_ttl)
    session["sk"] = key
    setattr(this_globals(), _CURRENT, (key, record))
    return record


def current_session() -> LoginSession | None:
    """The signed-in citizen, or ``None``."""
    session, ctx = this_session(), this_globals()
    key = session.get("sk")
    if not isinstance(key, str):
        return None
    # Read once per request: a sign-in followed by the decision what comes next (the
    # login form, the test sign-in) asked the store for the record it had just written.
    # The key is fresh and random, so nobody else could have changed the record since.
    known = ctx.get(_CURRENT)
    if known is not None and known[0] == key:
        return known[1]  # type: ignore[no-any-return]
    raw = provider().ephemeral.get(session_key(key))
    if raw is None:
        session.pop("sk", None)
        return None
    record = LoginSession(raw["id_number"], int(raw["auth_time"]), raw["acr"],
                          tuple(raw["amr"]), raw["sid"])
    setattr(ctx, _CURRENT, (key, record))
    return record


def end_session() -> LoginSession | None:
    """Sign out: drop the server-side record and the cookie's key.

    :returns: the session that ended (its portals are to be told), or ``None``.
    """
    ended = current_session()
    key = this_session().pop("sk", None)
    this_globals().pop(_CURRENT, None)
    if isinstance(key, str):
        provider().ephemeral.delete(session_key(key))
    return ended


def client_entry(p: Provider, sid: str, client_id: str
                 ) -> dict[str, tuple[dict[str, Any], float]]:
    """The entry noting that ``client_id`` got an ID token in the session ``sid``, for
    the caller to store (the token endpoint writes it in the access token's round
    trip); empty once the session has :data:`_MAX_CLIENTS` of them.

    One numbered entry per issuance, numbered by an atomic counter, so concurrent
    token requests of several portals never overwrite each other (a read-modify-
    write of one list would lose one), on the memory store and on Redis alike.
    """
    ttl = p.settings.session_ttl
    n = p.ephemeral.incr(clients_key(sid), ttl)
    if n > _MAX_CLIENTS:
        return {}
    return {session_client(sid, n): ({"client_id": client_id}, ttl)}


def session_clients(p: Provider, sid: str) -> list[str]:
    """The clients that got an ID token in the session ``sid``, each once, in order.

    Entries are read up to the first missing number: the counter itself is not
    read back (backends store counters in their own format).
    """
    seen: dict[str, None] = {}
    for n in range(1, _MAX_CLIENTS + 1):
        entry = p.ephemeral.get(session_client(sid, n))
        if entry is None:
            break
        if isinstance(entry.get("client_id"), str):
            seen[entry["client_id"]] = None
    return list(seen)


def browser_key() -> str:
    """A random value naming this browser (in the signed cookie), created on first use.

    Pending authorization requests are bound to it, so a request id handed to
    another browser (a lured victim) is worthless there.
    """
    session = this_session()
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
