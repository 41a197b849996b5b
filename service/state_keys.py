"""Every key the login service writes to its short-lived store, in one place.

Each key is ``{tag}:kind[:part]`` (:func:`eid.storage.keys.tagged`); the tag is a
Redis Cluster hash tag, chosen as the piece of work the key belongs to so that one
flow's keys share a slot while flows spread over the shards:

* a login session: its record, its counter of portals and their entries, by ``sid``
  (logout reads all of them);
* an authorization code: the code and its consumed marker, by the code's hash
  (redeeming reads the marker right after the consume failed);
* a citizen: the login-attempt window, by the hash of the number typed;
* everything else is its own group (a pending request, a pushed request, an access
  token, a replay entry, a ``c_nonce``): nothing else is read with it.

A code or an access token carries no other tag on purpose: the session's ``sid`` in it
would hand portals the raw ``sid`` that they only ever see per sector (issue 10,
item 9). Replay caches are not tagged by client: one large portal would put all its
traffic on one shard. The README's "Redis" section has the table.
"""

from __future__ import annotations

import hashlib

from eid.storage import tagged

__all__ = [
    "access_token", "attempts", "c_nonce", "client_jti", "code", "code_used", "dpop_jti",
    "match_window", "pending_request", "pushed_request", "readiness_probe", "session",
    "session_client", "session_clients", "sha256",
]


def sha256(value: str) -> str:
    """The hex SHA-256 of ``value`` (handles are stored only as digests)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def pending_request(req_id: str) -> str:
    """A pending authorization request (``/authorize`` to login and consent)."""
    return tagged(req_id, "authreq")


def pushed_request(request_uri: str) -> str:
    """A pushed authorization request (RFC 9126), by the hash of its ``request_uri``."""
    return tagged(sha256(request_uri), "par")


def code(code_hash: str) -> str:
    """An authorization code, by its hash."""
    return tagged(code_hash, "code")


def code_used(code_hash: str) -> str:
    """The marker of a redeemed code: a replay revokes its grant (RFC 6749 §4.1.2)."""
    return tagged(code_hash, "code-used")


def access_token(token_hash: str) -> str:
    """An access token's record, by its hash."""
    return tagged(token_hash, "at")


def session(session_key: str) -> str:
    """A login session's record; the cookie's key is ``<sid>.<random>``."""
    return tagged(session_key.partition(".")[0], "session", session_key)


def session_clients(sid: str) -> str:
    """The counter of portals that got an ID token in the session ``sid``."""
    return tagged(sid, "clients")


def session_client(sid: str, n: int) -> str:
    """The ``n``-th portal of the session ``sid``."""
    return tagged(sid, "client", n)


def attempts(id_number: str) -> str:
    """The login-attempt window of a typed ID number (known or not), by its hash."""
    return tagged(sha256(id_number), "attempts")


def dpop_jti(digest: str) -> str:
    """A DPoP proof seen (RFC 9449 §11.1), by the digest of its key and ``jti``."""
    return tagged(digest, "dpop-jti")


def c_nonce(nonce: str) -> str:
    """A ``c_nonce`` handed out by the nonce endpoint (OpenID4VCI 1.0 §7), by its hash;
    consumed by the one credential request whose key proof carries it."""
    return tagged(sha256(nonce), "c-nonce")


def client_jti(client_id: str, jti: str) -> str:
    """A client assertion's ``jti`` seen (RFC 7523 §3 item 7), per client."""
    return tagged(sha256(jti), "client-jti", sha256(client_id)[:32])


def match_window(client_id: str) -> str:
    """A client's window of ``POST /api/match`` calls (its rate limit), by the client's hash."""
    return tagged(sha256(client_id), "match")


def readiness_probe() -> str:
    """Never written: ``/readyz`` reads it to see that Redis answers (on a cluster, the
    one shard its tag hashes to)."""
    return tagged("readyz", "probe")
