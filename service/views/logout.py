"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

A portal sends the citizen to ``/end-session`` with ``id_token_hint``,
``post_logout_redirect_uri``, ``state`` and ``ui_locales`` (§2). The hint is
any ID token this provider signed, expired ones included (§4: the OP validates
that it issued the token and should accept it even when ``exp`` has passed: a
portal's ID token is routinely expired by logout time). The redirect URI must be
registered for the client named by the hint or ``client_id`` (exact match,
§3; otherwise an error page, never a redirect), and ``state`` comes back with
it. The session ends at once only when the hint names the signed-in session
(its ``sid``); without a hint, or with one of another session, the citizen
confirms on a page first: §6 asks the OP to confirm when the request is not
authenticated, since any site can link here and a silent logout is a nuisance
(and, for a citizen mid-procedure at another portal, a denial of service).

Every way a session ends here (and the "sign out" button of the login
service) queues back-channel logouts for the session's portals
(:mod:`service.backchannel`) without waiting for them.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from eid.errors import InvalidRedirectUri, InvalidRequest
from eid.oidc.clients import Client
from service.authz_request import read_id_token_hint
from service.backchannel import sign_out
from service.csrf import check_csrf
from service.errors import redirect_to_client
from service.i18n import choose_lang
from service.params import collect
from service.provider import provider
from service.sessions import client_sid, current_session

__all__ = ["bp"]

bp = Blueprint("logout", __name__)


def _target(client: Client | None, uri: str | None) -> str | None:
    if not uri:
        return None
    if client is None or uri not in client.post_logout_redirect_uris:
        raise InvalidRedirectUri("post_logout_redirect_uri is not registered for this client")
    return uri


def _done(target: str | None, state: str | None) -> ResponseReturnValue:
    if target is None:
        return render_template("signed_out.html")
    return redirect_to_client(target, {"state": state})


@bp.route("/end-session", methods=["GET", "POST"])
def end_session_endpoint() -> ResponseReturnValue:
    p = provider()
    choose_lang()
    # The one strict parser: no repeats (RFC 6749 §3.1), length caps; errors are a page.
    params = collect(request.args, request.form) if request.method == "POST" \
        else collect(request.args)
    params.check()
    choose_lang(params.get("ui_locales"))
    hint = params.get("id_token_hint")
    claims = read_id_token_hint(p, hint) if hint else None
    client = p.clients.get(claims["aud"]) if claims else None
    named = params.get("client_id")
    if named:
        if claims is not None and named != claims["aud"]:
            raise InvalidRequest("client_id does not match the id_token_hint")
        client = p.clients.get(named)
        if client is None:
            raise InvalidRedirectUri("unknown client_id", code="invalid_client")
    target = _target(client, params.get("post_logout_redirect_uri"))
    state = params.get("state") or None
    session = current_session()
    hint_client = p.clients.get(claims["aud"]) if claims else None
    # The hint carries the sid of its portal's sector (service.sessions.client_sid).
    if session is None or (claims is not None and hint_client is not None
                           and claims.get("sid") == client_sid(p, hint_client, session.sid)):
        sign_out(p)
        return _done(target, state)
    if target:
        g.form_action_origin = target  # the confirm form ends in a redirect to the portal
    return render_template("logout_confirm.html", client=client, target=target or "",
                           state=state or "")


@bp.post("/end-session/confirm")
def confirm() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    choose_lang()
    client = p.clients.get(request.form.get("client_id"))
    target = _target(client, request.form.get("post_logout_redirect_uri"))
    sign_out(p)
    return _done(target, request.form.get("state") or None)
