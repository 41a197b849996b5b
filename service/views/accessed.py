""""Ai đã xem dữ liệu của tôi" / "Who accessed my data": the citizen's own data-access log.

Newest first, a page at a time, each release with when (Vietnam's time), which
portal, for which procedure or purpose, which attributes (the catalogue's labels),
and the citizen's own revocations in the same timeline; a filter by portal; and a
download of the citizen's entries with their inclusion proofs (RFC 9162 §2.1.3),
so that what was released can be proved later against a signed checkpoint.

Whatever the URL says, the entries shown are the signed-in citizen's: the store is
asked for that citizen's entries only; ``before`` only moves the page and ``portal``
only narrows it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from eid.audit import canonical_bytes, entry_leaf
from eid.datafiles import fixture_path, read_json
from eid.errors import InvalidRequest
from eid.storage.access_proofs import inclusion_proof
from eid.storage.records import AccessEntry
from service.i18n import choose_lang, lang, translate
from service.params import collect
from service.provider import Provider, provider
from service.sessions import current_session
from service.times import iso_time, local_time
from service.transparency import checkpointer

__all__ = ["DOWNLOAD_LIMIT", "PAGE_SIZE", "bp", "shown"]

bp = Blueprint("accessed", __name__)

#: Entries per page.
PAGE_SIZE: Final = 20


@cache
def _procedure_titles() -> dict[str, dict[str, str]]:
    """Procedure code → title in vi/en, from the shipped procedure list."""
    doc = read_json(fixture_path("portal-procedures.json"))
    return {str(p["id"]): dict(p["title"]) for p in doc.get("procedures", [])
            if isinstance(p, dict) and isinstance(p.get("title"), dict)}


def _attribute_labels(p: Provider, names: tuple[str, ...], language: str) -> list[str]:
    """The catalogue's labels of the released claim names, in the catalogue's order (as
    the consent screen lists them), never the raw names."""
    released = set(names)
    labels = [a.label_en if language == "en" else a.label_vi
              for a in p.catalogue.attributes.values() if a.claim in released]
    known = {a.claim for a in p.catalogue.attributes.values()}
    if "sub" in released:
        labels.append(translate("access_attr_sub"))
    if released - known - {"sub"}:
        labels.append(translate("access_attr_other"))
    return list(dict.fromkeys(labels))


def _localised(current: Mapping[str, str] | None, recorded: str | None) -> str | None:
    """A text recorded in Vietnamese (the portal's name, its purpose), in the page
    language while the portal's registration still says the same; else as recorded."""
    if current is None or recorded is None or current.get("vi") != recorded:
        return recorded
    return current.get(lang()) or recorded


def shown(p: Provider, index: int, entry: AccessEntry) -> dict[str, Any]:
    """What one row of the timeline says."""
    language = lang()
    client = p.clients.get(entry.client_id)
    title = _procedure_titles().get(entry.procedure or "")
    return {
        "index": index, "action": entry.action, "client_id": entry.client_id,
        "revocation": entry.action == "revocation",
        "when": local_time(entry.time, language),
        "iso": iso_time(entry.time),
        "portal": _localised(client.name if client else None, entry.organisation),
        "procedure": (title.get(language) or title["vi"]) if title else entry.procedure,
        "purpose": _localised(client.purpose if client else None, entry.purpose),
        "attributes": _attribute_labels(p, entry.attributes, language),
    }


def _portal_filter(p: Provider, value: str | None) -> str | None:
    if value is None:
        return None
    if p.clients.get(value) is None:
        raise InvalidRequest("portal: no such portal")
    return value


@bp.get("/my-data/access")
def index() -> ResponseReturnValue:
    p = provider()
    choose_lang()
    session = current_session()
    if session is None:
        return redirect(url_for("login.login"))
    params = collect(request.args)
    params.check()
    before = params.integer("before")
    portal = _portal_filter(p, params.get("portal"))
    rows = p.durable.citizen_access(session.id_number, client_id=portal, before=before,
                                    limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    portals = sorted((c for c in p.clients if not c.test_only),
                     key=lambda c: c.label(lang()))
    return render_template(
        "accessed.html", citizen=p.registry.get(session.id_number),
        entries=[shown(p, i, e) for i, e in rows], portals=portals, portal=portal,
        next_before=rows[-1][0] if more else None, first_page=before is None)


#: The most entries one download holds (a citizen with more pages back with ``before``).
DOWNLOAD_LIMIT: Final = 5000
_BATCH: Final = 200


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _own_entries(p: Provider, citizen: str, before: int | None) -> list[tuple[int, AccessEntry]]:
    rows: list[tuple[int, AccessEntry]] = []
    while len(rows) < DOWNLOAD_LIMIT:
        page = p.durable.citizen_access(citizen, before=before,
                                        limit=min(_BATCH, DOWNLOAD_LIMIT - len(rows)))
        rows.extend(page)
        if len(page) < _BATCH:
            break
        before = page[-1][0]
    return rows


@bp.get("/my-data/access.json")
def download() -> ResponseReturnValue:
    """The citizen's own entries (newest first), each with its leaf hash and its RFC 9162
    §2.1.3 inclusion proof against the signed checkpoint served with them."""
    p = provider()
    session = current_session()
    if session is None:
        return redirect(url_for("login.login"))
    params = collect(request.args)
    params.check()
    rows = _own_entries(p, session.id_number, params.integer("before"))
    # A checkpoint covering every entry of the download (signed now if the latest is
    # older), so that each entry comes with its proof at once.
    log = checkpointer()
    signed = log.covering(rows[0][0] + 1, exact=False) if rows else None
    entries = [{
        "index": index,
        # The exact bytes hashed (RFC 9162 §2.1.1): anyone can recompute the leaf.
        "entry": canonical_bytes(entry).decode("utf-8"),
        "leaf_hash": _b64(entry_leaf(entry)),
        "inclusion_proof": None if signed is None else
        [_b64(h) for h in inclusion_proof(p.durable, index, signed.size)],
    } for index, entry in rows]
    body = {
        "citizen": session.id_number,
        "checkpoint": None if signed is None else {
            "tree_size": signed.size, "root_hash": _b64(signed.root), "note": signed.note,
            "verifier_key": log.signer.verifier_key},
        "complete": len(rows) < DOWNLOAD_LIMIT,
        "entries": entries,
    }
    response = make_response(json.dumps(body, ensure_ascii=False, indent=1))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = 'attachment; filename="eid-access-log.json"'
    return response
