""""My shared data": the portals holding a consent, and revoking it.

Revoking a consent also revokes every grant of that portal for the citizen,
so its refresh tokens (and the access tokens issued from them) stop working
at once, and the next login asks for consent again.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service.csrf import check_csrf
from service.i18n import choose_lang
from service.provider import provider
from service.sessions import current_session
from service.views.consent import consent_items

__all__ = ["bp"]

bp = Blueprint("mydata", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("mydata.index"))


@bp.get("/my-data")
def index() -> ResponseReturnValue:
    p = provider()
    choose_lang()
    session = current_session()
    if session is None:
        return redirect(url_for("login.login"))
    citizen = p.registry.get(session.id_number)
    portals = []
    for consent in p.durable.consents(session.id_number):
        client = p.clients.get(consent.client_id)
        if client is None:
            continue
        scopes = sorted(s for s in consent.scopes if not s.startswith("claim:"))
        claims = [s.removeprefix("claim:") for s in consent.scopes if s.startswith("claim:")]
        portals.append({
            "client": client, "items": consent_items(p, scopes, claims),
            "granted": dt.datetime.fromtimestamp(consent.granted_at, dt.UTC)
            .strftime("%Y-%m-%d %H:%M UTC"),
        })
    return render_template("mydata.html", citizen=citizen, portals=portals,
                           revoked=request.args.get("revoked"))


@bp.post("/my-data/revoke")
def revoke() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    session = current_session()
    if session is None:
        return redirect(url_for("login.login"))
    client_id = request.form.get("client_id", "")
    if p.durable.revoke_consent(session.id_number, client_id):
        p.durable.revoke_grants(session.id_number, client_id, p.now())
    return redirect(url_for("mydata.index", revoked=client_id))
