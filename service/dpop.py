"""DPoP (RFC 9449) on the login service: proofs at the token and userinfo endpoints.

The proof checks themselves are :func:`eid.oidc.verify_dpop_proof`; this module
wires them to the request (the ``DPoP`` headers, the endpoint's public URL, the
short-lived store for ``jti``, the provider's nonces) and decides what each
endpoint demands:

* token endpoint: a proof is optional, except for a client registered with
  ``dpop_bound_access_tokens`` (every fapi2 client), which must send one
  (RFC 9449 §5.2; a missing proof is ``invalid_dpop_proof``, the §5 code for a
  request whose proof does not do); with a proof the tokens are bound to its key;
* userinfo: a DPoP-bound token comes with the ``DPoP`` scheme and a proof for
  this request and this token (§7); otherwise the answer is a ``WWW-Authenticate:
  DPoP`` challenge with ``algs`` (§7.1);
* nonces (§8, §9) for the clients :attr:`Settings.dpop_nonce` names, sent in
  ``DPoP-Nonce`` on every response to them.
"""

from __future__ import annotations

import re
from typing import Any, Final

from flask import Response

from eid.errors import (
    InvalidDpopProof,
    InvalidRequest,
    InvalidToken,
    OAuthError,
    UseDpopNonce,
)
from eid.oidc import DPOP_ALGS, DpopProof, verify_dpop_proof
from eid.oidc.clients import Client
from service.context import this_globals, this_request
from service.provider import Provider
from service.state_keys import dpop_jti

__all__ = [
    "add_nonce_header",
    "check_par_dpop",
    "parse_dpop_jkt",
    "resource_challenge",
    "token_proof",
    "userinfo_proof",
]

# RFC 7638 with SHA-256: 32 octets, base64url without padding.
_JKT: Final = re.compile(r"[A-Za-z0-9_-]{43}")


def _nonce_required(p: Provider, client: Client | None) -> bool:
    mode = p.settings.dpop_nonce
    return mode == "always" or (mode == "fapi2" and client is not None and client.fapi2)


def _proof(p: Provider, client: Client | None, access_token: str | None) -> DpopProof | None:
    req = this_request()
    # The WSGI server folds repeated DPoP headers into one value (PEP 3333), so this is
    # what headers.getlist("DPoP") returns, without its walk over the whole environ,
    # which granian fills with the process environment (1 k bytecodes a token request).
    header = req.environ.get("HTTP_DPOP")
    values = [] if header is None else [header]
    required = _nonce_required(p, client)
    if required:
        this_globals().dpop_nonce = True  # every answer to this client carries a fresh nonce (§8.2)
    if not values:
        return None
    now = p.now()
    return verify_dpop_proof(
        values, method=req.method,
        # The URL portals are told in discovery: the issuer's, whatever proxy is in between.
        url=f"{p.issuer}{req.path}", now=now,
        remember_jti=lambda key, ttl: p.ephemeral.add(dpop_jti(key), {}, ttl),
        access_token=access_token,
        nonce_valid=(lambda n: p.dpop_nonces.valid(n, now)) if required else None)


def token_proof(p: Provider, client: Client) -> str | None:
    """The thumbprint of the token request's valid proof, ``None`` without one.

    :raises InvalidDpopProof: a bad proof, or none from a client that must send one.
    :raises UseDpopNonce: the nonce is missing or stale.
    """
    proof = _proof(p, client, None)
    if proof is None and client.dpop_bound:
        # RFC 9449 §5.2: dpop_bound_access_tokens means a token request without a
        # proof MUST be rejected.
        raise InvalidDpopProof("this client must send a DPoP proof")
    return proof.jkt if proof else None


def userinfo_proof(p: Provider, scheme: str, token: str, record: dict[str, Any]) -> None:
    """Check how a resource request presents ``token`` (RFC 9449 §7).

    :raises InvalidToken: a bound token as ``Bearer`` (§7.2), or an unbound one as ``DPoP``.
    :raises InvalidDpopProof: no proof, a bad one, or one signed by another key.
    :raises UseDpopNonce: the nonce is missing or stale.
    """
    jkt = (record.get("cnf") or {}).get("jkt")
    if jkt is None:
        if scheme == "dpop":
            raise InvalidToken("this access token is not DPoP-bound")
        return
    this_globals().dpop_resource = True
    if scheme != "dpop":
        # §7.2: a DPoP-bound token presented as a bearer token is refused.
        raise InvalidToken("this access token is DPoP-bound: use the DPoP scheme and a proof")
    proof = _proof(p, p.clients.get(record["client_id"]), token)
    if proof is None:
        raise InvalidDpopProof("a DPoP proof is required with a DPoP-bound access token")
    if proof.jkt != jkt:  # §7.1: the proof's key is the key the token is bound to
        raise InvalidDpopProof("the proof is signed by another key than the token's")


def parse_dpop_jkt(value: str | None) -> str | None:
    """The ``dpop_jkt`` authorization request parameter (RFC 9449 §10).

    :raises InvalidRequest: not a SHA-256 JWK thumbprint.
    """
    if value is not None and not _JKT.fullmatch(value):
        raise InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint")
    return value


def check_par_dpop(p: Provider, client: Client, dpop_jkt: str | None) -> str | None:
    """For the pushed authorization request endpoint (RFC 9449 §10.1): the key the
    authorization code will be bound to, to store as the request's ``dpop_jkt``.

    A ``DPoP`` header is optional at PAR, even for a ``dpop_bound`` client (§10.1
    "MAY"; §5.2 binds token requests): when sent, its proof is checked like a token
    request's and its key must be ``dpop_jkt`` when both are given; without one,
    ``dpop_jkt`` alone binds the code, and with neither the code is not bound (the
    token request's proof still binds the tokens).

    :raises InvalidDpopProof: a bad proof, or one whose key is not ``dpop_jkt``.
    :raises UseDpopNonce: the nonce is missing or stale.
    """
    proof = _proof(p, client, None)
    jkt = proof.jkt if proof else None
    if jkt is not None and dpop_jkt is not None and jkt != dpop_jkt:
        raise InvalidDpopProof("the DPoP proof's key is not dpop_jkt")
    return jkt or dpop_jkt


def add_nonce_header(p: Provider, response: Response) -> Response:
    """``DPoP-Nonce`` on the answer to a request whose client must use nonces."""
    if this_globals().get("dpop_nonce"):
        response.headers["DPoP-Nonce"] = p.dpop_nonces.current(p.now())
    return response


def resource_challenge(err: OAuthError) -> str | None:
    """``WWW-Authenticate`` for an error of a DPoP resource request (RFC 9449 §7.1), or
    ``None`` when the request was not one."""
    if not this_globals().get("dpop_resource") or not isinstance(
            err, InvalidToken | InvalidDpopProof | UseDpopNonce):
        return None
    return (f'DPoP algs="{" ".join(DPOP_ALGS)}", error="{err.code}", '
            f'error_description="{err.description}"')
