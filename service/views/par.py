"""The pushed authorization request endpoint (RFC 9126 §2).

``POST /par`` only (§2.1; any other method is 405, answered as JSON), client-
authenticated exactly as ``/token`` is (:mod:`service.client_auth`). The pushed
parameters are validated by the one authorization-request parser
(:func:`service.authz_request.parse_request`); every error is a JSON error response
as the token endpoint's (§2.3, RFC 6749 §5.2), never a redirect. A success is 201
with ``request_uri`` and ``expires_in`` (§2.2).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from eid.errors import InvalidRedirectUri, InvalidRequest
from service.authz_request import parse_request
from service.client_auth import authenticate_client
from service.dpop import add_nonce_header, check_par_dpop
from service.par import PAR_LIFETIME, expire_pushed, push
from service.params import Params, collect
from service.provider import provider

__all__ = ["bp"]

bp = Blueprint("par", __name__)


@bp.before_request
def _mark_api() -> None:
    g.api = True


@bp.after_request
def _dpop_nonce(response: Response) -> Response:
    return add_nonce_header(provider(), response)


@bp.post("/par")
def pushed_authorization_request() -> ResponseReturnValue:
    p = provider()
    params = collect(request.form)  # the body only (§2.1: form-encoded POST)
    params.check()
    client = authenticate_client(p, params)
    named = params.get("client_id")
    if named is not None and named != client.client_id:
        # §2.1: the pushed request is the authenticated client's own.
        raise InvalidRequest("client_id differs from the authenticated client")
    if named is None:  # Basic or an assertion identified the client (RFC 7521 §4.2)
        params = Params({**params.values, "client_id": client.client_id}, params.repeated)
    try:
        req = parse_request(p, params, pushed=True)
    except InvalidRedirectUri as err:
        # §2.3 uses the codes of RFC 6749 §5.2 / §4.1.2.1: a redirect URI that is not
        # registered for this client is a malformed request here, not an error page.
        raise InvalidRequest(err.description) from None
    # RFC 9449 §10.1: a DPoP proof sent to PAR binds the code to its key, as dpop_jkt does.
    req.dpop_jkt = check_par_dpop(p, client, req.dpop_jkt)
    uri = push(p, req)
    if p.mock is not None and p.mock.take_par_fault() == "expired_request_uri":
        expire_pushed(p, uri)  # the tester asked for it: the portal must start again
    response = jsonify(request_uri=uri, expires_in=PAR_LIFETIME)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
