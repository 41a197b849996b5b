"""The credential issuer's endpoints (OpenID4VCI 1.0) and its status list.

* ``GET /.well-known/openid-credential-issuer``: the metadata (§12.2.2), public;
* ``POST /nonce``: a fresh ``c_nonce`` (§7), unauthenticated, ``no-store``;
* ``POST /credential``: one credential for an access token and a key proof (§8);
* ``GET /statuslists/1``: the signed Token Status List, public.

Errors are JSON ``{error, error_description}`` rendered by :mod:`service.errors`
(``g.api``): §8.3.1.1 token errors with ``WWW-Authenticate`` (RFC 6750 §3, or the
DPoP challenge of RFC 9449 §7.1), §8.3.1.2 request errors with HTTP 400.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from service.credential_issuer import (
    CONFIGURATIONS,
    issue_credential,
    issuer_metadata,
    new_c_nonce,
)
from service.credential_request import parse_credential_request
from service.credential_status import STATUS_LIST_PATH, STATUS_TTL, StatusListCache
from service.dpop import add_nonce_header
from service.provider import provider
from service.public import public
from service.resource_access import authorize_resource

__all__ = ["bp"]

bp = Blueprint("credential", __name__)
_CACHE = "eid_status_list"

# The metadata changes only with a release (the catalogue's claims); as discovery.
_METADATA_CACHE = "public, max-age=300"


@bp.record_once
def _install_cache(state: BlueprintSetupState) -> None:
    state.app.extensions[_CACHE] = StatusListCache()


@bp.after_request
def _dpop_nonce(response: Response) -> Response:
    return add_nonce_header(provider(), response)


def _no_store(body: dict[str, object]) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("/.well-known/openid-credential-issuer")
def metadata() -> ResponseReturnValue:
    return public(jsonify(issuer_metadata(provider())), _METADATA_CACHE)


@bp.post("/nonce")
def nonce() -> ResponseReturnValue:
    g.api = True
    # §7.2: the response MUST NOT be cached.
    return _no_store({"c_nonce": new_c_nonce(provider())})


@bp.post("/credential")
def credential() -> ResponseReturnValue:
    g.api = True
    p = provider()
    # §8.3.1.1: the token first (401 before any look at the body), as userinfo does.
    access = authorize_resource(p)
    req = parse_credential_request(request.mimetype, request.get_data(cache=False),
                                   CONFIGURATIONS)
    # §8.3: one credential per proof; no notification endpoint, so no notification_id.
    return _no_store({"credentials": [{"credential": issue_credential(p, access, req)}]})


@bp.get(STATUS_LIST_PATH)
def status_list() -> ResponseReturnValue:
    # draft-ietf-oauth-status-list §8.1: the token as application/statuslist+jwt.
    cache: StatusListCache = current_app.extensions[_CACHE]
    return public(Response(cache.token(provider()), mimetype="application/statuslist+jwt"),
                  f"public, max-age={STATUS_TTL}")
