"""The extension's routes: login, callback, logout and back-channel logout."""

from __future__ import annotations

import contextlib
import html
import re
import time
from typing import Any

from flask import Blueprint, redirect, request, session
from werkzeug.wrappers import Response

from eid.errors import EidError, OAuthError, TokenError
from eid.oidc import PendingLogin, language_tags, safe_local_path
from flask_eid.csrf import CSRF_FIELD, csrf_token_valid, renew_csrf_token
from flask_eid.state import PENDING_KEY as _PENDING_KEY
from flask_eid.state import (
    SignedInCitizen,
    current_citizen,
    end_session,
    logout_jti_key,
    note_ended,
    provider_sid_key,
    provider_sub_key,
    start_session,
)
from flask_eid.state import login_state as _state

blueprint = Blueprint("eid_login", __name__)
# RFC 6749 §3.3 scope-token characters.
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,64}").fullmatch
# A procedure code (fixtures/portal-procedures.json ids); anything else is not sent.
_PROCEDURE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}").fullmatch
# The default error page: the callback URL carries the code, so no Referer (RFC 9700 §4.2.4),
# no framing, no caching, nothing but the page itself.
_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                 "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def _fail(exc: EidError, status: int) -> Any:
    handler = _state().on_error
    if handler is not None:
        return handler(exc)
    body = (f"<!doctype html><html lang=vi><meta charset=utf-8><title>Đăng nhập không thành "
            f"công</title><h1>Đăng nhập không thành công / Login failed</h1>"
            f"<p>Mã lỗi / error code: <code>{html.escape(exc.code)}</code></p>"
            f"<p><a href=\"/\">Trang chủ / Home</a></p></html>")
    return Response(body, status=status, content_type="text/html; charset=utf-8",
                    headers=_PAGE_HEADERS)


@blueprint.get("/login")
def login() -> Any:
    acr = request.args.get("acr") or None
    rp = _state().rp
    # A view may ask for more than the configured scopes (to request a missing
    # consent); the provider still decides what this client may have.
    extra = [s for s in request.args.get("scope", "").split() if _SCOPE(s)]
    scopes = tuple(dict.fromkeys([*rp.scopes, *extra]))
    # The procedure this login serves (RFC 9396 vn_procedure): the consent screen names
    # it and every release of the citizen's data is recorded under it.
    procedure = request.args.get("procedure") or None
    if procedure is not None and not _PROCEDURE(procedure):
        return _fail(EidError("the procedure code is malformed", code="bad_procedure"), 400)
    try:
        url, pending = rp.start_login(
            acr=acr, prompt=request.args.get("prompt") or None,
            ui_locales=_ui_locales(), scopes=scopes, procedure=procedure)
    except EidError as exc:
        return _fail(exc, 400)
    session[_PENDING_KEY] = {**pending.to_dict(), "next": safe_local_path(request.args.get("next")),
                             "scopes": list(scopes)}
    return redirect(url)


def _ui_locales() -> str | None:
    # OIDC Core §3.1.2.1: the language the citizen chose here follows them to the
    # provider's screens, on every login and step-up. ?lang= (hostile: only
    # well-formed tags pass) overrides the portal's own choice (locale_selector).
    selector = _state().locale_selector
    for value in (request.args.get("lang"), selector() if selector else None):
        tags = language_tags(value)
        if tags:
            return " ".join(tags)
    return None


@blueprint.get("/callback")
def callback() -> Any:
    raw = session.pop(_PENDING_KEY, None)
    next_url = safe_local_path(raw.pop("next", None)) if isinstance(raw, dict) else "/"
    requested = raw.pop("scopes", None) if isinstance(raw, dict) else None
    try:
        pending = PendingLogin.from_dict(raw)
        result = _state().rp.complete_login(request.args.to_dict(), pending)
    except OAuthError as exc:
        refused = ("access_denied", "login_required", "unmet_authentication_requirements")
        return _fail(exc, 403 if exc.code in refused else 400)
    except TokenError as exc:
        return _fail(exc, 403 if exc.code == "acr_too_low" else 401)
    except EidError as exc:
        return _fail(exc, 400)
    start_session(SignedInCitizen(
        subject=result.subject, acr=result.acr, claims=result.claims,
        id_token=result.tokens.id_token, sid=result.id_token_claims.get("sid"),
        signed_in_at=time.time(), refresh_token=result.tokens.refresh_token,
        procedure=result.procedure, access_token=result.tokens.access_token,
        token_type=result.tokens.token_type,
        access_token_expires_at=result.tokens.expires_at,
        # RFC 6749 §5.1: a token response may omit scope when it is what was asked.
        scopes=tuple(sorted(result.tokens.scope or set(requested or ())))))
    renew_csrf_token()  # a token seen before sign-in is worth nothing after it
    return redirect(next_url)


@blueprint.post("/logout")
def logout() -> Any:
    # A cross-site form must not sign the citizen out (nor out of the provider).
    if not csrf_token_valid(request.form.get(CSRF_FIELD)):
        return _fail(EidError("the logout form's CSRF token is missing or wrong",
                              code="csrf_token_invalid"), 403)
    citizen = current_citizen()
    end_session()
    renew_csrf_token()
    note_ended("signed_out")
    state = _state()
    if citizen is not None:
        if citizen.refresh_token:
            # The local session is over either way; a failed revocation only
            # leaves the refresh token to expire.
            with contextlib.suppress(EidError):
                state.rp.revoke(citizen.refresh_token)
        try:
            return redirect(state.rp.logout_url(
                id_token_hint=citizen.id_token,
                post_logout_redirect_uri=state.post_logout_redirect_uri))
        except EidError:
            pass  # the provider has no end-session endpoint
    return redirect(state.signed_out_url)


@blueprint.get("/signed-out")
def signed_out() -> Any:
    # The post-logout redirect URI: the provider appends its parameters (state, iss);
    # the citizen lands on a clean URL, where the portal says they are signed out.
    return redirect(_state().signed_out_url, code=303)


@blueprint.post("/backchannel-logout")
def backchannel_logout() -> Any:
    # OpenID Connect Back-Channel Logout 1.0 §2.5-2.8.
    state = _state()
    token = request.form.get("logout_token", "")
    try:
        claims = state.rp.verify_logout_token(token)
    except EidError:
        return Response('{"error":"invalid_request"}', status=400,
                        content_type="application/json", headers={"Cache-Control": "no-store"})
    # Each logout token acts once (§2.6: reject a replayed jti), remembered for as
    # long as the verifier would still accept a token with it.
    if not state.store.add(logout_jti_key(claims["jti"]), {"seen": True},
                           state.rp.logout_jti_retention()):
        return Response('{"error":"invalid_request"}', status=400,
                        content_type="application/json", headers={"Cache-Control": "no-store"})
    # §2.4: a sid names one provider session; a token with only sub means every
    # session of that citizen here (the login service sends one when the citizen
    # withdraws this portal's access). Each browser is told why at its next request.
    sid, sub = claims.get("sid"), claims.get("sub")
    if isinstance(sid, str):
        mapping = state.store.consume(provider_sid_key(sid))
        if mapping and isinstance(mapping.get("session"), str):
            end_session(mapping["session"], reason="provider_session_ended")
    elif isinstance(sub, str):
        sessions = (state.store.consume(provider_sub_key(sub)) or {}).get("sessions")
        for local in sessions if isinstance(sessions, list) else ():
            if isinstance(local, str):
                end_session(local, reason="access_withdrawn")
    return Response("", status=200, headers={"Cache-Control": "no-store"})
