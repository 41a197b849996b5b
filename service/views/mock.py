"""The mock's own routes (registered only when ``Settings.mock`` is set).

Test-control API, JSON, loopback callers only (the peer address, the ``Host``
header and any ``Origin`` must all be loopback, against DNS rebinding),
``Content-Type: application/json`` required on POST (a cross-site page cannot
send that without a CORS preflight, which is never answered):

* ``POST /__mock__/next-error`` ``{"error": "access_denied"}`` and/or
  ``{"token_fault": "expired"}`` – the next authorization request ends with that
  error; the next ID token carries that fault;
* ``POST /__mock__/rotate-keys`` ``{"alg": "ES256"}`` (optional) – rotate signing keys;
* ``POST /__mock__/reset`` – forget sessions, pending requests, codes, tokens,
  consents, grants and pending injections (keys stay);
* ``GET /__mock__/state`` – persona, pending injections, key ids, the test client.

The identity picker: the login page lists the fixture citizens; ``POST
/login/pick`` signs the chosen one in (no password) and carries on to consent.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from eid.errors import ConfigurationError
from eid.testing.faults import TOKEN_FAULTS
from service.authz_request import save_request
from service.csrf import check_csrf
from service.i18n import choose_lang
from service.mock import INJECTABLE_ERRORS, PAR_FAULTS, MockControls
from service.params import collect
from service.provider import Provider, provider
from service.sessions import start_session
from service.tokens import citizen_who_may_sign_in
from service.views.authorize import TEST_IDENTITY_HEADER
from service.views.login import pending_request, render_login

__all__ = ["control", "picker"]

control = Blueprint("mock", __name__, url_prefix="/__mock__")
picker = Blueprint("mock_picker", __name__)

_HOST_CHARS = re.compile(r"[A-Za-z0-9.:\[\]-]{1,300}").fullmatch
_PICKER_LIMIT = 500  # a generated registry is far too big for a list of buttons
_TEST_CLIENT_ID = "eid-test-client"
_TEST_CLIENT_SECRET = "eid-test-secret"  # noqa: S105 - published on purpose (service/README.md)


def _controls(p: Provider) -> MockControls:
    assert p.mock is not None  # noqa: S101 - these routes exist only on the mock
    return p.mock


def _json_error(description: str, status: int = 400, error: str = "invalid_request"
                ) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def _is_loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _is_loopback_host(host: str) -> bool:
    """``Host`` or an origin's host[:port]: 127.0.0.0/8, ``[::1]`` or ``localhost``."""
    if not _HOST_CHARS(host):
        return False  # userinfo, paths, spaces: not a Host (RFC 9110 §7.2)
    try:
        parts = urlsplit("//" + host)
        name, _ = parts.hostname, parts.port  # the port property raises when malformed
    except ValueError:
        return False
    return name is not None and (name == "localhost" or _is_loopback_ip(name))


@control.before_request
def _loopback_only() -> ResponseReturnValue | None:
    if not _is_loopback_ip(request.remote_addr or ""):
        return _json_error("the test-control API answers loopback callers only", 403)
    # DNS rebinding: a page of evil.test whose name now resolves to 127.0.0.1
    # reaches this socket from a loopback address, but its requests still say
    # Host: evil.test (and Origin: http://evil.test when a script sends them).
    host = request.headers.get("Host", "")
    if not _is_loopback_host(host):
        return _json_error("the test-control API answers only to a loopback Host", 403,
                           error="untrusted_host")
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not _is_loopback_host(parts.netloc) \
                or parts.path or parts.query:
            return _json_error("the test-control API answers only to a loopback Origin", 403,
                               error="untrusted_origin")
    if request.method == "POST" and not request.is_json:
        return _json_error("send Content-Type: application/json (a body of {} will do)", 415)
    return None


@control.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@control.post("/next-error")
def next_error() -> ResponseReturnValue:
    controls = _controls(provider())
    body = _body()
    error, fault, par_fault = body.get("error"), body.get("token_fault"), body.get("par_fault")
    if error is None and fault is None and par_fault is None:
        return _json_error('send {"error": CODE}, {"token_fault": NAME} and/or '
                           '{"par_fault": NAME}')
    try:
        if error is not None:
            controls.inject_error(str(error))
        if fault is not None:
            controls.inject_token_fault(str(fault))
        if par_fault is not None:
            controls.inject_par_fault(str(par_fault))
    except ConfigurationError as exc:
        return _json_error(exc.message)
    return jsonify(pending=controls.pending())


@control.post("/rotate-keys")
def rotate_keys() -> ResponseReturnValue:
    p = provider()
    alg = _body().get("alg")
    if alg is not None and alg not in p.keys.algorithms:
        return _json_error(f"alg must be one of {', '.join(p.keys.algorithms)}")
    try:
        # Immediate, unlike `eid keys rotate`: testers rotate to see their portal cope
        # with a key it has not cached (and a pending rotation is refused).
        p.keys.rotate(alg, delay=0)
    except ConfigurationError as exc:
        return _json_error(exc.message)
    return jsonify(kids=_kids(p))


@control.post("/reset")
def reset() -> ResponseReturnValue:
    p = provider()
    p.ephemeral.clear()
    p.durable.forget_consents_and_grants()
    _controls(p).reset()
    return jsonify(reset=True, pending=_controls(p).pending())


@control.get("/state")
def state() -> ResponseReturnValue:
    p = provider()
    controls = _controls(p)
    client = p.clients.get(_TEST_CLIENT_ID)
    test_client = {"client_id": _TEST_CLIENT_ID, "client_secret": _TEST_CLIENT_SECRET,
                   "redirect_uris": list(client.redirect_uris) if client else []}
    return jsonify(
        issuer=p.issuer, persona=controls.persona, pending=controls.pending(), kids=_kids(p),
        test_client=test_client, test_identity_header=TEST_IDENTITY_HEADER,
        injectable_errors=list(INJECTABLE_ERRORS), token_faults=sorted(TOKEN_FAULTS),
        par_faults=sorted(PAR_FAULTS))


def _kids(p: Provider) -> list[str]:
    return [str(k["kid"]) for k in p.keys.jwks()["keys"]]


# --- the identity picker ------------------------------------------------------------------
def personas(p: Provider) -> list[dict[str, str | None]]:
    """The citizens the picker lists: name, ID number, level and account status."""
    rows: list[dict[str, str | None]] = []
    for citizen in p.registry.iter_citizens():
        account = citizen.account
        status = "none" if account is None else \
            "deceased" if citizen.is_deceased else \
            "active" if account.status == "active" else "locked"
        rows.append({"id_number": citizen.id_number, "name": citizen.full_name,
                     "level": account.level if account else None, "status": status})
        if len(rows) >= _PICKER_LIMIT:
            break
    return rows


@picker.app_context_processor
def _picker_context() -> dict[str, Any]:
    if request.endpoint not in ("login.login", "login.login_submit", "mock_picker.pick"):
        return {}
    return {"mock_personas": personas(provider())}


@picker.post("/login/pick")
def pick() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    params = collect(request.form)
    params.check()
    req_id = params.get("req")
    req = pending_request(p, req_id)
    choose_lang(req.ui_locales if req else None)
    id_number = (params.get("id_number") or "").strip()
    citizen = citizen_who_may_sign_in(p, id_number)
    if citizen is None or citizen.account is None:
        return render_login(p, req, req_id, id_number, "unavailable")
    start_session(citizen.id_number, citizen.account.level, ("test",))
    if req is not None and req_id is not None:
        req.fresh_login = True
        save_request(p, req, req_id)
        return redirect(url_for("authorize.resume", req=req_id))
    return redirect(url_for("mydata.index"))
