"""The endpoints portals call directly: token, userinfo, revocation, introspection.

All answer JSON with ``Cache-Control: no-store`` (RFC 6749 §5.1); errors are
rendered by :mod:`service.errors` (``g.api`` set here).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from eid.errors import InvalidRequest, UnsupportedGrantType
from service.audit import consent_basis, grant_procedure, record_release
from service.client_auth import authenticate_client
from service.context import this_app, this_globals, this_request
from service.dpop import add_nonce_header, token_proof
from service.params import Params, collect
from service.protected import userinfo_jwt
from service.provider import provider
from service.resource_access import authorize_resource, released_claims
from service.tokens import introspect, redeem_code, refresh, revoke_token

__all__ = ["bp"]

bp = Blueprint("api", __name__)


@bp.before_request
def _mark_api() -> None:
    this_globals().api = True


@bp.after_request
def _dpop_nonce(response: Response) -> Response:
    return add_nonce_header(provider(), response)


def _no_store(body: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    response = this_app().json.response(body)  # jsonify, without its proxy lookups
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _params() -> Params:
    """The form body, checked once: no repeats (RFC 6749 §3.2), length caps.

    Only the body counts: these endpoints take POSTed forms (RFC 6749 §3.2, RFC 7009 §2.1,
    RFC 7662 §2.1), so a query string is ignored as before.
    """
    params = collect(this_request().form)
    params.check()
    return params


@bp.post("/token")
def token() -> ResponseReturnValue:
    p = provider()
    params = _params()
    client = authenticate_client(p, params)
    grant_type = params.get("grant_type")
    if "authorization_details" in params:
        # RFC 9396 §6.2, §7.1 let a client narrow its details here; not offered: a
        # token silently wider than asked would be worse than a refusal. Narrow by scope.
        raise InvalidRequest("authorization_details at the token endpoint is not supported")
    jkt = token_proof(p, client) if grant_type in ("authorization_code", "refresh_token") \
        else None
    if grant_type == "authorization_code":
        code = params.get("code")
        if code is None:
            raise InvalidRequest("code is required")
        body = redeem_code(p, client, code, params.get("redirect_uri"),
                           params.get("code_verifier"), jkt=jkt)
    elif grant_type == "refresh_token":
        token_value = params.get("refresh_token")
        if token_value is None:
            raise InvalidRequest("refresh_token is required")
        body = refresh(p, client, token_value, " ".join(params.words("scope")) or None,
                       jkt=jkt)
    elif not grant_type:
        raise InvalidRequest("grant_type is required")
    else:
        raise UnsupportedGrantType(f"unsupported grant_type {grant_type!r}")
    return _no_store(body)


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> ResponseReturnValue:
    p = provider()
    access = authorize_resource(p)
    client, grant = access.client, access.grant
    # OIDC Core §5.3.2: exactly the consented attributes, and sub.
    claims = released_claims(p, access)
    claims["sub"] = p.subject(client, grant.subject)
    jwt = userinfo_jwt(p, client, claims)
    # Issue 14: the release is logged before anything leaves (or nothing leaves).
    record_release(p, citizen=grant.subject, client=client, action="userinfo",
                   attributes=claims, procedure=grant_procedure(grant),
                   basis=consent_basis(access.scopes))
    if jwt is None:
        return _no_store(claims)
    # OIDC Core §5.3.2: a signed or encrypted response is application/jwt.
    response = Response(jwt, mimetype="application/jwt")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/revoke")
def revoke() -> ResponseReturnValue:
    p = provider()
    params = _params()
    client = authenticate_client(p, params)
    value = params.get("token")
    if value is None:
        raise InvalidRequest("token is required")
    revoke_token(p, client, value)
    # RFC 7009 §2.2: 200 whether or not the token was known.
    return _no_store({})


@bp.post("/introspect")
def introspection() -> ResponseReturnValue:
    p = provider()
    params = _params()
    client = authenticate_client(p, params)
    value = params.get("token")
    if value is None:
        raise InvalidRequest("token is required")
    return _no_store(introspect(p, client, value))
