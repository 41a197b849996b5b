"""The one check of an access token at a resource endpoint: userinfo and the credential
endpoint (OpenID4VCI 1.0 §8: "the Credential Endpoint ... is an OAuth-protected
resource"), so a token that userinfo refuses is refused for a credential too.

RFC 6750 §2.1 (``Authorization: Bearer``) or §2.2 (form body of a POST), never both,
never the query; RFC 9449 §7.1 ``Authorization: DPoP`` with a proof for this request and
this token when the token is DPoP-bound (:func:`service.dpop.userinfo_proof`). The
released claims are computed here too, once, so userinfo and a credential carry the
same attributes for the same token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eid.errors import InvalidRequest, InvalidToken
from eid.oidc.clients import Client
from eid.population.model import Citizen
from eid.prefill import claims_for
from eid.storage import Grant
from service.context import this_globals, this_request
from service.dpop import userinfo_proof
from service.params import collect
from service.provider import Provider
from service.tokens import access_token_info, citizen_who_may_sign_in, requested_claims

__all__ = ["ResourceAccess", "authorize_resource", "released_claims"]


@dataclass(frozen=True, slots=True)
class ResourceAccess:
    """What a valid access token lets its bearer (or key holder) reach."""

    client: Client
    citizen: Citizen
    grant: Grant
    #: The token's scopes (narrower than the grant's after a narrowing refresh).
    scopes: tuple[str, ...]


def _access_token() -> tuple[str, str]:
    """``(scheme, token)`` from the request, as RFC 6750 §2 and RFC 9449 §7.1 allow."""
    req = this_request()
    header = req.headers.get("Authorization", "")
    in_body = req.method == "POST" and req.mimetype == \
        "application/x-www-form-urlencoded" and "access_token" in req.form
    if in_body:
        collect(req.form).check()  # one access_token, capped like every parameter
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "dpop":
            this_globals().dpop_resource = True  # errors answer with the DPoP challenge (§7.1)
        if scheme.lower() not in ("bearer", "dpop") or not value.strip():
            raise InvalidToken("malformed Authorization header")
        if in_body:
            raise InvalidRequest("access token in both header and body")
        return scheme.lower(), value.strip()
    if in_body:
        return "bearer", req.form["access_token"]
    this_globals().no_token = True
    raise InvalidToken("access token required")


def authorize_resource(p: Provider) -> ResourceAccess:
    """Check the request's access token (and DPoP proof) for a resource endpoint.

    :raises InvalidToken: no token, a malformed header, or a token that is unknown,
        expired, revoked, of a client or citizen no longer able to use it.
    :raises InvalidDpopProof: a bound token without a valid proof by its key.
    :raises UseDpopNonce: the proof lacks the server's current nonce.
    """
    scheme, token_value = _access_token()
    info = access_token_info(p, token_value)
    if info is None:
        raise InvalidToken("the access token is invalid, expired or revoked")
    userinfo_proof(p, scheme, token_value, info)
    grant: Grant = info["grant"]
    client = p.clients.get(info["client_id"])
    citizen = citizen_who_may_sign_in(p, grant.subject)
    if client is None or citizen is None:
        raise InvalidToken("the access token no longer grants access")
    return ResourceAccess(client=client, citizen=citizen, grant=grant,
                          scopes=tuple(info["scopes"]))


def released_claims(p: Provider, access: ResourceAccess) -> dict[str, Any]:
    """Exactly the consented attributes (OIDC Core §5.3.2), without ``sub``: the claims
    of the token's scopes and those the ``claims`` parameter asked for userinfo."""
    claims: dict[str, Any] = claims_for(access.citizen, access.scopes, p.registry,
                                        catalogue=p.catalogue)
    claims.update(requested_claims(p, access.citizen, access.grant, access.scopes,
                                   "userinfo"))
    return claims
