""""My shared data": the portals holding a consent or a live grant, and revoking them.

Revoking a portal deletes its consent and revokes every grant of that portal
for the citizen, so its refresh tokens (and the access tokens issued from them)
stop working at once, codes issued before can no longer be redeemed, the
portal's sessions of the citizen are ended by a back-channel logout token (when it
registered a URI for them), and the next login asks for consent again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service.audit import record_release
from service.backchannel import queue_withdrawal
from service.csrf import check_csrf
from service.i18n import choose_lang, lang
from service.params import collect
from service.provider import Provider, provider
from service.sessions import current_session
from service.times import iso_time, local_time
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
    return render_template("mydata.html", citizen=citizen,
                           portals=_portals(p, session.id_number),
                           revoked=request.args.get("revoked"))


def _portals(p: Provider, id_number: str) -> list[dict[str, Any]]:
    """Every portal with a consent or a live grant, with what it was allowed to read.

    A portal still holding a live grant is listed even without a consent row (one left
    by an older version, say), so the citizen can always see and revoke it.
    """
    held: dict[str, tuple[set[str], float]] = {}
    for consent in p.durable.consents(id_number):
        held[consent.client_id] = (set(consent.scopes), consent.granted_at)
    for grant in p.durable.live_grants(id_number, p.now()):
        items, granted_at = held.setdefault(grant.client_id, (set(), grant.created_at))
        items |= grant.scopes
        items |= {f"claim:{c}" for part in (grant.details.get("claims") or {}).values()
                  if isinstance(part, dict) for c in part}
        held[grant.client_id] = (items, min(granted_at, grant.created_at))
    portals = []
    for client_id in sorted(held):
        client = p.clients.get(client_id)
        if client is None:
            continue
        allowed, granted_at = held[client_id]
        scopes = sorted(s for s in allowed if not s.startswith("claim:"))
        claims = [s.removeprefix("claim:") for s in allowed if s.startswith("claim:")]
        portals.append({
            "client": client, "items": consent_items(p, scopes, claims),
            "granted": local_time(granted_at, lang()), "granted_iso": iso_time(granted_at),
        })
    return portals


@bp.post("/my-data/revoke")
def revoke() -> ResponseReturnValue:
    p = provider()
    check_csrf()
    session = current_session()
    if session is None:
        return redirect(url_for("login.login"))
    params = collect(request.form)
    params.check()
    client_id = params.get("client_id") or ""
    # RFC 7009 §2.1, OIDC Core §11: every grant of the portal goes, with or without a
    # consent row, and codes issued before stop being redeemable. Only registered
    # portals: an arbitrary client_id must not leave rows behind.
    client = p.clients.get(client_id)
    if client is not None:
        p.durable.revoke_access(session.id_number, client_id, p.now())
        # The portal's sessions of this citizen end at their next request (it still
        # holds the released claims: revoking tokens alone would not reach them).
        queue_withdrawal(p, client, session.id_number)
        # Issue 14: the revocation shows in "who accessed my data". Logged after the
        # revocation: withdrawing access must never wait on the log (if the append
        # fails, the citizen sees 503 and the access is withdrawn all the same).
        record_release(p, citizen=session.id_number, client=client, action="revocation",
                       attributes=(), basis="citizen_withdrawal")
    return redirect(url_for("mydata.index", revoked=client_id))
