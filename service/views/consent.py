"""The consent screen: which portal, why, and which attributes; approve or deny.

Labels come from the scope catalogue (``fixtures/scopes.json``), the portal's
name and purpose from its registration; a request naming a procedure
(RFC 9396 ``vn_procedure``) shows that procedure's title instead of the purpose.
Approving remembers the consent (durably) for this portal and these scopes (and
procedure) until the citizen revokes it on "My shared data"; denying sends
``access_denied`` to the portal (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from eid.errors import AccessDenied
from eid.storage import Consent
from service.authz_request import AuthorizationRequest, load_request
from service.csrf import check_csrf
from service.i18n import choose_lang, lang, translate
from service.params import collect
from service.pending import PendingRequest
from service.provider import OFFLINE_ACCESS, Provider, provider
from service.sessions import current_session
from service.state_keys import pending_request
from service.views.authorize import ExpiredRequest, proceed

__all__ = ["bp", "consent_items"]

bp = Blueprint("consent", __name__)


def consent_items(p: Provider, scopes: list[str], extra_claims: list[str]) -> list[dict[str, Any]]:
    """What the screen lists: each scope with the labels of its attributes, in the page language."""
    items: list[dict[str, Any]] = p.catalogue.consent_items(scopes, lang())
    if OFFLINE_ACCESS in scopes:
        items.append({"scope": OFFLINE_ACCESS, "label": translate("scope_offline_access"),
                      "description": translate("scope_offline_access_description"),
                      "attributes": []})
    extra = [a for a in p.catalogue.attributes.values() if a.claim in extra_claims]
    if extra:
        # Exactly what eid.prefill.claims_by_name releases: people without ID numbers.
        items.append({"scope": "claims", "label": translate("individual_claims"),
                      "description": translate("individual_claims_description"),
                      "attributes": [a.label_en if lang() == "en" else a.label_vi
                                     for a in extra]})
    return items


def _load(p: Provider, req_id: str | None) -> AuthorizationRequest:
    req = load_request(p, req_id)
    if req is None or not req_id:
        raise ExpiredRequest("the sign-in request has expired; start again from the portal")
    g.redirect_target = (req.redirect_uri, req.state)
    g.form_action_origin = req.redirect_uri
    choose_lang(req.ui_locales)
    return req


@bp.get("/consent")
def consent() -> ResponseReturnValue:
    p = provider()
    req_id = request.args.get("req")
    req = _load(p, req_id)
    session = current_session()
    if session is None:
        return redirect(url_for("login.login", req=req_id))
    client = p.clients.get(req.client_id)
    # RFC 9396: the procedure named in authorization_details; otherwise the
    # client's registered purpose.
    detail = req.procedure
    procedure = p.procedures.get(detail.procedure) if detail is not None else None
    return render_template(
        "consent.html", req_id=req_id, client=client, procedure=procedure,
        items=consent_items(p, req.scopes, req.extra_claims))


@bp.post("/consent")
def consent_submit() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    # One decision, one request id: "approve&decision=deny" must not be read either way.
    params = collect(request.form)
    params.check(("req", "decision"))
    req_id = params.get("req")
    req = _load(p, req_id)
    assert req_id is not None  # noqa: S101 - _load checked it
    session = current_session()
    if session is None:
        return redirect(url_for("login.login", req=req_id))
    if params.get("decision") != "approve":
        p.ephemeral.delete(pending_request(req_id))
        raise AccessDenied("the citizen denied the request")
    existing, epoch = p.durable.consent_and_epoch(session.id_number, req.client_id)
    scopes = req.consent_items | (existing.scopes if existing else frozenset())
    p.durable.save_consent(Consent(session.id_number, req.client_id, scopes, p.now()))
    req.consented = True
    # Written again only if another screen follows (the session ended meanwhile): the
    # code supersedes it otherwise.
    return proceed(p, req, PendingRequest.kept(p, req_id, changed=req), epoch=epoch)
