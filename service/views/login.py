"""The login screen: personal ID number and password, with lockout.

The answer never tells whether an ID number exists: an unknown number is
checked against a dummy scrypt hash (same cost as a real one) and gets the
same message; attempts count per entered number, known or not, so the
lockout behaves the same too. Only after the right password is a locked or
deceased citizen's account refused (the password holder learns nothing new).
As the national VNeID app does, an account locks after 5 wrong passwords.

Each attempt first reserves one of the 5 slots of a 15-minute window in the
short-lived store (an atomic ``reserve``), then checks the password: a full
window is refused at once, without a check, so parallel requests cannot get
more checks than the limit. The quick refusal shows only that the window is
full, which it equally is for an unknown number.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from eid.errors import PopulationError
from eid.population.model import Citizen
from eid.population.passwords import verify_password
from service.authz_request import AuthorizationRequest, load_request, save_request
from service.backchannel import sign_out
from service.csrf import check_csrf
from service.i18n import choose_lang
from service.metrics import metrics
from service.params import collect
from service.provider import Provider, provider
from service.sessions import current_session, start_session
from service.state_keys import attempts
from service.views.authorize import ExpiredRequest

__all__ = ["attempts_key", "bp", "pending_request", "render_login"]

bp = Blueprint("login", __name__)
log = logging.getLogger("eid.service")

_DIGITS = re.compile(r"\d{1,12}")
_MAX_INPUT = 64


def attempts_key(id_number: str) -> str:
    """The short-lived key of the attempt window for an entered ID number (known or not)."""
    return attempts(id_number)


def _check_password(p: Provider, id_number: str, password: str) -> tuple[Citizen | None, str]:
    """``(citizen, "")`` on success, else ``(None, reason)``: wrong, locked or unavailable."""
    key = attempts_key(id_number)
    limit = p.settings.lockout_after
    # NIST SP 800-63B §5.2.2: the attempt is reserved atomically before the password is
    # checked, so however many requests run at once, a window holds at most `limit`
    # checks. A full window is refused without a check, known number or not.
    slot = p.ephemeral.reserve(key, limit, p.settings.lockout_seconds)
    if slot is None:
        return None, "locked"
    try:
        citizen: Citizen | None = p.registry.get(id_number)
    except PopulationError:  # malformed or unknown number: carry on as if it existed
        citizen = None
    account = citizen.account if citizen is not None else None
    stored = account.password_hash if account is not None else p.dummy_password_hash
    matches = verify_password(password[:1024], stored)
    if not matches or account is None or citizen is None:
        if slot < limit:
            return None, "wrong"
        # The window is fixed from its first attempt (never extended), so the lock lasts
        # what is left of it: at most lockout_seconds.
        log.warning("login locked: %s failed checks in the window (id key %s)",
                    limit, key[1:13])
        return None, "locked"
    if account.status != "active" or citizen.is_deceased:
        return None, "unavailable"
    # A success forgives this attempt and those reserved before it, never one reserved
    # while it was being checked: giving back exactly `slot` slots (not deleting the
    # window) keeps such concurrent attempts counted.
    p.ephemeral.release(key, slot)
    return citizen, ""


def pending_request(p: Provider, req_id: str | None) -> AuthorizationRequest | None:
    """The authorization request a login screen continues (``None`` without one).

    :raises ExpiredRequest: ``req_id`` names no live request of this browser.
    """
    if not req_id:
        return None
    req = load_request(p, req_id)
    if req is None:
        raise ExpiredRequest("the sign-in request has expired; start again from the portal")
    g.form_action_origin = req.redirect_uri
    return req


def render_login(p: Provider, req: AuthorizationRequest | None, req_id: str | None,
                 id_number: str, error: str | None) -> ResponseReturnValue:
    """The login screen (the mock's persona picker shares it)."""
    client = p.clients.get(req.client_id) if req else None
    return render_template(
        "login.html", req_id=req_id or "", id_number=id_number, error=error,
        client=client, minutes=p.settings.lockout_seconds // 60,
        attempts=p.settings.lockout_after)


@bp.get("/login")
def login() -> ResponseReturnValue:
    p = provider()
    req_id = request.args.get("req")
    req = pending_request(p, req_id)
    choose_lang(req.ui_locales if req else None)
    hint = (req.login_hint or "") if req else ""
    # login_hint prefills the ID-number field (OIDC Core §3.1.2.1), digits only.
    prefill = hint if _DIGITS.fullmatch(hint) else ""
    return render_login(p, req, req_id, prefill, None)


@bp.post("/login")
def login_submit() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    # The one strict parser here too: a repeated or oversized field is refused, never
    # "first value wins" (which value a browser and a proxy see must be the same).
    params = collect(request.form)
    params.check()
    req_id = params.get("req")
    req = pending_request(p, req_id)
    choose_lang(req.ui_locales if req else None)
    id_number = "".join((params.get("id_number") or "").split())[:_MAX_INPUT]
    password = params.get("password") or ""
    citizen, reason = _check_password(p, id_number, password)
    metrics().login("succeeded" if not reason else "locked" if reason == "locked" else "failed")
    if citizen is None or citizen.account is None:
        return render_login(p, req, req_id, id_number, reason)
    signed_in = current_session()
    if signed_in is not None and signed_in.id_number != citizen.id_number:
        # Another citizen takes over this browser: the earlier one's portals are told.
        # The same citizen signing in again (prompt=login, step-up) keeps the session's
        # sid (start_session), so the portals of the earlier login stay signed in.
        sign_out(p)
    start_session(citizen.id_number, citizen.account.level, ("pwd",))
    if req is not None and req_id is not None:
        req.fresh_login = True
        save_request(p, req, req_id)
        return redirect(url_for("authorize.resume", req=req_id))
    # Without a pending request the only destination is "My shared data" (no open redirect).
    return redirect(url_for("mydata.index"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    check_csrf()
    sign_out(provider())
    return redirect(url_for("login.login", signed_out=1))
