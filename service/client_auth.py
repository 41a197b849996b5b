"""Client authentication at the endpoints portals call directly (token, PAR, revocation,
introspection): one rule set for all four.

* ``client_secret_basic`` / ``client_secret_post`` (RFC 6749 §2.3.1);
* ``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9), checked by
  :mod:`eid.oidc.client_assertion` against the client's ``jwks`` or ``jwks_uri``
  (fetched strictly and cached: :class:`~eid.verify.RemoteKeySource`);
* one method per request (RFC 6749 §2.3: "MUST NOT use more than one"), and only a
  method the client is registered for; every failure is 401 ``invalid_client`` (§5.2).
"""

from __future__ import annotations

import json
import threading
from typing import Final

from eid.errors import InvalidClient, InvalidRequest, TokenError
from eid.oidc.client_assertion import JWT_BEARER, authenticate_assertion
from eid.oidc.clients import Client
from eid.verify import KeySet, RemoteKeySource, parse_jws
from eid.verify.jws import Jwks
from service.context import this_app, this_globals, this_request
from service.params import Params, basic_credentials
from service.provider import Provider
from service.state_keys import client_jti

__all__ = ["assertion_audiences", "authenticate_client"]

_EXTENSION: Final = "eid.client_keys"


class _ClientKeys:
    """Each client's verification keys, parsed or fetched once per app (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str | None, str], Jwks] = {}

    def of(self, client: Client) -> Jwks:
        # Keyed by the registration itself: a client whose keys change (re-registered)
        # never verifies with the old ones.
        slot = (client.client_id, client.jwks_uri, json.dumps(client.jwks, sort_keys=True))
        with self._lock:
            keys = self._keys.get(slot)
            if keys is None:
                if client.jwks_uri is not None:
                    # The verifier's strict fetch: timeouts, size cap, no redirects, https
                    # except loopback; cached per Cache-Control, refetched on unknown kid.
                    keys = RemoteKeySource(client.jwks_uri, jwks_uri=client.jwks_uri)
                elif client.jwks is not None:
                    keys = KeySet.from_jwks(client.jwks)  # checked when the client loaded
                else:
                    raise InvalidClient("client has no keys for private_key_jwt")
                self._keys[slot] = keys
            return keys


def _client_keys() -> _ClientKeys:
    extensions = this_app().extensions
    keys = extensions.get(_EXTENSION)
    if keys is None:
        keys = extensions.setdefault(_EXTENSION, _ClientKeys())
    assert isinstance(keys, _ClientKeys)  # noqa: S101 - only this module sets it
    return keys


def assertion_audiences(p: Provider, client: Client) -> tuple[str, ...]:
    """What an assertion's ``aud`` may name for ``client``.

    FAPI 2.0 §5.3.2.1: a fapi2 client names the issuer identifier only. Others may
    also name the token endpoint URL (RFC 7523 §3 item 3) or the PAR endpoint URL
    (RFC 9126 §2: the server "MUST accept" all three).
    """
    if client.fapi2:
        return (p.issuer,)
    return (p.issuer, f"{p.issuer}/token", f"{p.issuer}/par")


def _assertion_client_id(params: Params, assertion: str) -> str:
    """The client an assertion claims to be: ``client_id``, else its (unverified) ``sub``
    (RFC 7521 §4.2: ``client_id`` is optional beside an assertion)."""
    named = params.get("client_id")
    if named is not None:
        return named
    try:
        claims = json.loads(parse_jws(assertion).payload)
    except (TokenError, ValueError):
        raise InvalidClient("client assertion rejected: malformed") from None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub:
        raise InvalidClient("client assertion rejected: missing_subject")
    return sub


def _by_assertion(p: Provider, params: Params) -> Client:
    if params.get("client_assertion_type") != JWT_BEARER:
        raise InvalidClient(f"client_assertion_type must be {JWT_BEARER}")
    assertion = params.get("client_assertion")
    if assertion is None:
        raise InvalidClient("client_assertion is required")
    client = p.clients.get(_assertion_client_id(params, assertion))
    if client is None:
        raise InvalidClient("client authentication failed")
    if "private_key_jwt" not in client.auth_methods:
        raise InvalidClient("client is not registered for private_key_jwt")
    now = p.now()

    def remember(jti: str, ttl: float) -> bool:
        # RFC 7523 §3 item 7: single use while it could be accepted; an atomic add.
        return p.ephemeral.add(client_jti(client.client_id, jti), {"at": now}, ttl)

    authenticate_assertion(assertion, client_id=client.client_id,
                           keys=_client_keys().of(client),
                           audiences=assertion_audiences(p, client), now=now,
                           remember_jti=remember)
    return client


def authenticate_client(p: Provider, params: Params) -> Client:
    """The client that authenticated this request, by exactly one registered method.

    :raises InvalidClient: missing, malformed or failed authentication, or a method
        the client is not registered for.
    :raises InvalidRequest: more than one method in one request.
    """
    header = this_request().headers.get("Authorization", "")
    form_secret = params.values.get("client_secret")
    assertion = "client_assertion" in params.values or \
        "client_assertion_type" in params.values
    basic = header.partition(" ")[0].lower() == "basic"
    if sum((basic, form_secret is not None, assertion)) > 1:
        if basic:
            this_globals().basic_auth = True
        raise InvalidRequest("use one client authentication method, not two")
    if basic:
        # Set before parsing: a malformed header, too, is answered with the Basic
        # challenge (RFC 6749 §5.2, RFC 7235 §3.1).
        this_globals().basic_auth = True
        client_id, secret = basic_credentials(header)
        form_id = params.values.get("client_id")
        if form_id is not None and form_id != client_id:
            raise InvalidRequest("client_id differs from the authenticated client")
        return p.clients.authenticate(client_id, secret, "client_secret_basic")
    if form_secret is not None:
        return p.clients.authenticate(params.values.get("client_id"), form_secret,
                                      "client_secret_post")
    if assertion:
        return _by_assertion(p, params)
    raise InvalidClient("client authentication is required")
