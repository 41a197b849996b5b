"""Every error the service answers with, rendered in one place.

* An authorization error, once the client and its redirect URI are trusted
  (``g.redirect_target``), goes back to the portal: ``error``,
  ``error_description``, ``state`` and ``iss`` (RFC 6749 §4.1.2.1, RFC 9207 §2).
* Protocol endpoints (``g.api``) answer JSON ``{error, error_description}``
  with the error's status and ``Cache-Control: no-store`` (RFC 6749 §5.2);
  401 at userinfo carries ``WWW-Authenticate: Bearer`` (RFC 6750 §3), 401 at
  the token endpoint after Basic authentication ``WWW-Authenticate: Basic``;
  a DPoP request at userinfo gets a ``WWW-Authenticate: DPoP`` challenge (RFC 9449 §7.1).
* Everything else (unknown client, unregistered redirect URI, CSRF failure,
  expired login screen, 404) is an HTML page in the citizen's language.
* A store that cannot be reached (``StorageError`` ``storage_unavailable``:
  Redis, a database) is ``temporarily_unavailable`` in each of those three
  forms (RFC 6749 §4.1.2.1 names it for the authorization endpoint, where a 503
  cannot travel through the redirect), 503 with ``Retry-After`` otherwise; it
  is counted per store in ``eid_store_errors_total``. Nothing is retried here:
  the next request finds the store again once it is back.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from eid.errors import EidError, InvalidToken, OAuthError, StorageError, TemporarilyUnavailable
from service.context import this_app
from service.dpop import resource_challenge
from service.metrics import metrics, store_of
from service.provider import provider

__all__ = ["RETRY_AFTER", "redirect_to_client", "register_error_handlers"]

log = logging.getLogger("eid.service")

#: Seconds a client is asked to wait after a 503 (RFC 9110 §10.2.3).
RETRY_AFTER = "5"

# Endpoints portals call directly; their errors are JSON even before routing (405).
_API_PATHS = frozenset({"/token", "/userinfo", "/revoke", "/introspect", "/par", "/register",
                        "/nonce", "/credential"})


def _api() -> bool:
    return bool(g.get("api")) or request.path in _API_PATHS


def redirect_to_client(redirect_uri: str, params: dict[str, str | None]) -> BaseResponse:
    """A 302 to the portal with ``params`` (and ``iss``, RFC 9207) in the query."""
    query = {k: v for k, v in params.items() if v is not None}
    query["iss"] = provider().issuer
    sep = "&" if "?" in redirect_uri else "?"
    # The app's redirect, as flask.redirect calls it, without its proxy: every code goes
    # back to its portal through here.
    response = this_app().redirect(f"{redirect_uri}{sep}{urlencode(query)}", code=302)
    return response


def _json_error(code: str, description: str, status: int) -> Response:
    response = jsonify(error=code, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _page(code: str, description: str, status: int) -> tuple[str, int]:
    return render_template("error.html", code=code, description=description), status


def _storage_error(err: StorageError) -> BaseResponse:
    p = provider()
    metrics().store_error(store_of(err, {"ephemeral": p.ephemeral, "durable": p.durable,
                                         "registry": p.registry}))
    if err.code != "storage_unavailable":  # a corrupt row is no outage: a bug to look at
        log.error("internal error: %s", err)
        if _api():
            return _json_error("server_error", "internal error", 500)
        return make_response(_page("server_error", "", 500))
    log.warning("a store is unreachable: %s", err)
    response = make_response(handle_eid_error(
        TemporarilyUnavailable("the service is temporarily unavailable; try again shortly")))
    if response.status_code == 503:  # not on the redirect to the portal
        response.headers["Retry-After"] = RETRY_AFTER  # RFC 9110 §10.2.3
    return response


def handle_eid_error(err: EidError) -> BaseResponse | tuple[str, int]:
    if isinstance(err, StorageError):
        return _storage_error(err)
    if isinstance(err, OAuthError):
        target = g.get("redirect_target")
        if target is not None and err.redirectable and not _api():
            return redirect_to_client(target[0], {
                "error": err.code, "error_description": err.description or None,
                "state": target[1]})
        if _api():
            challenge = resource_challenge(err)
            response = _json_error(err.code, err.description,
                                   401 if challenge else err.status)
            if challenge:
                response.headers["WWW-Authenticate"] = challenge
            elif isinstance(err, InvalidToken):
                # RFC 6750 §3.1: no error code when the request carried no token at all.
                detail = "" if g.get("no_token") else \
                    f', error="{err.code}", error_description="{err.description}"'
                response.headers["WWW-Authenticate"] = f'Bearer realm="eid"{detail}'
            elif err.status == 401 and g.get("basic_auth"):
                response.headers["WWW-Authenticate"] = 'Basic realm="eid"'
            return response
        return _page(err.code, err.description, err.status)
    log.error("internal error: %s", err)
    if _api():
        return _json_error("server_error", "internal error", 500)
    return _page("server_error", "", 500)


def handle_http_error(err: HTTPException) -> Response | tuple[str, int]:
    status = err.code or 500
    if _api():
        code = "invalid_request" if status < 500 else "server_error"
        response = _json_error(code, err.description or "", status)
        if status == 405 and err.get_headers():
            response.headers.update(dict(err.get_headers()))
            response.headers["Content-Type"] = "application/json"
        return response
    return _page(str(status), err.name, status)


def register_error_handlers(app: Flask) -> None:
    """Install the one error renderer on ``app``."""
    app.register_error_handler(EidError, handle_eid_error)
    app.register_error_handler(HTTPException, handle_http_error)
