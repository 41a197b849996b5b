"""The endpoints portals call directly: token, userinfo, revocation, introspection.

All answer JSON with ``Cache-Control: no-store`` (RFC 6749 §5.1); errors are
rendered by :mod:`service.errors` (``g.api`` set here).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from eid.errors import InvalidClient, InvalidRequest, InvalidToken, UnsupportedGrantType
from eid.oidc.clients import Client
from eid.prefill import claims_for
from service.provider import Provider, provider
from service.tokens import (
    access_token_info,
    citizen_who_may_sign_in,
    introspect,
    redeem_code,
    refresh,
    requested_claims,
    revoke_token,
)

__all__ = ["bp"]

bp = Blueprint("api", __name__)


@bp.before_request
def _mark_api() -> None:
    g.api = True


def _no_store(body: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _form(name: str) -> str | None:
    value = request.form.get(name)
    return value if value else None


def authenticate_client(p: Provider) -> Client:
    """RFC 6749 §2.3.1: ``client_secret_basic`` or ``client_secret_post``, never both.

    :raises InvalidClient: missing or failed authentication.
    :raises InvalidRequest: more than one method in one request.
    """
    auth = request.authorization
    form_secret = request.form.get("client_secret")
    if auth is not None and auth.type == "basic":
        g.basic_auth = True
        if form_secret is not None:
            raise InvalidRequest("use one client authentication method, not two")
        # §2.3.1: id and secret are form-encoded before being put in the header.
        client_id = unquote_plus(auth.username or "")
        secret = unquote_plus(auth.password or "")
        form_id = request.form.get("client_id")
        if form_id is not None and form_id != client_id:
            raise InvalidRequest("client_id differs from the authenticated client")
        return p.clients.authenticate(client_id, secret, "client_secret_basic")
    if form_secret is not None:
        return p.clients.authenticate(request.form.get("client_id"), form_secret,
                                      "client_secret_post")
    raise InvalidClient("client authentication is required")


@bp.post("/token")
def token() -> ResponseReturnValue:
    p = provider()
    client = authenticate_client(p)
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        code = _form("code")
        if code is None:
            raise InvalidRequest("code is required")
        body = redeem_code(p, client, code, _form("redirect_uri"), _form("code_verifier"))
    elif grant_type == "refresh_token":
        token_value = _form("refresh_token")
        if token_value is None:
            raise InvalidRequest("refresh_token is required")
        body = refresh(p, client, token_value, _form("scope"))
    elif not grant_type:
        raise InvalidRequest("grant_type is required")
    else:
        raise UnsupportedGrantType(f"unsupported grant_type {grant_type!r}")
    return _no_store(body)


def _bearer_token() -> str:
    """RFC 6750 §2.1 (header) or §2.2 (form body of a POST); never both, never the query."""
    header = request.headers.get("Authorization", "")
    in_body = request.method == "POST" and request.mimetype == \
        "application/x-www-form-urlencoded" and "access_token" in request.form
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("malformed Authorization header")
        if in_body:
            raise InvalidRequest("access token in both header and body")
        return value.strip()
    if in_body:
        return request.form["access_token"]
    g.no_token = True
    raise InvalidToken("access token required")


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> ResponseReturnValue:
    p = provider()
    info = access_token_info(p, _bearer_token())
    if info is None:
        raise InvalidToken("the access token is invalid, expired or revoked")
    grant = info["grant"]
    client = p.clients.get(info["client_id"])
    citizen = citizen_who_may_sign_in(p, grant.subject)
    if client is None or citizen is None:
        raise InvalidToken("the access token no longer grants access")
    # OIDC Core §5.3.2: exactly the consented attributes, and sub.
    claims: dict[str, Any] = claims_for(citizen, info["scopes"], p.registry,
                                        catalogue=p.catalogue)
    wanted = [n for n in (grant.details.get("claims") or {}).get("userinfo", {}) if n != "acr"]
    if wanted:
        claims.update(requested_claims(p, citizen, wanted))
    claims["sub"] = p.subject(client, grant.subject)
    return _no_store(claims)


@bp.post("/revoke")
def revoke() -> ResponseReturnValue:
    p = provider()
    client = authenticate_client(p)
    value = _form("token")
    if value is None:
        raise InvalidRequest("token is required")
    revoke_token(p, client, value)
    # RFC 7009 §2.2: 200 whether or not the token was known.
    return _no_store({})


@bp.post("/introspect")
def introspection() -> ResponseReturnValue:
    p = provider()
    client = authenticate_client(p)
    value = _form("token")
    if value is None:
        raise InvalidRequest("token is required")
    return _no_store(introspect(p, client, value))
