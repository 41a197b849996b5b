"""The office's pages: the upload form and the report on a dossier."""

from __future__ import annotations

import urllib.parse
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from eid.credentials.dossier import MAX_DOSSIER_BYTES, parse_dossier
from eid.credentials.dossier_verify import procedure_forms, verify_dossier
from eid.errors import DataError, KeySourceError
from eid.oidc import safe_local_path
from eid.prefill.procedures import load_procedure_catalogue

blueprint = Blueprint("office", __name__, template_folder="templates",
                      static_folder="static", static_url_path="/static")

_LANG_COOKIE = "office_lang"


def _ext() -> dict[str, Any]:
    ext: dict[str, Any] = current_app.extensions["office"]
    return ext


def _lang() -> str:
    return "en" if request.cookies.get(_LANG_COOKIE) == "en" else "vi"


@blueprint.app_context_processor
def _globals() -> dict[str, Any]:
    lang = _lang()
    other = "vi" if lang == "en" else "en"
    here = safe_local_path(urllib.parse.quote(request.path))
    return {"t": _ext()["text"][lang], "lang": lang,
            "switch_url": f"/lang/{other}?" + urllib.parse.urlencode({"next": here}),
            "office": _ext()["settings"]}


@blueprint.after_app_request
def _headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; style-src 'self'; form-action 'self'; "
                            "frame-ancestors 'none'")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("Cache-Control", "no-store")  # reports show personal data
    return resp


@blueprint.app_errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Any:
    return render_template("index.html", error="dossier_too_large"), 413


@blueprint.get("/")
def index() -> str:
    return render_template("index.html", error=None)


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on every page: a real icon, not a 404.
    folder = blueprint.static_folder
    assert folder is not None  # noqa: S101 - the blueprint is built with its static folder
    return send_from_directory(folder, "favicon.ico", mimetype="image/x-icon")


@blueprint.get("/lang/<code>")
def set_lang(code: str) -> Response:
    resp = redirect(safe_local_path(request.args.get("next")))
    resp.set_cookie(_LANG_COOKIE, "en" if code == "en" else "vi", samesite="Lax",
                    httponly=True, max_age=365 * 86400)
    return resp


# No CSRF token: verifying changes nothing and keeps nothing, and a cross-site page
# cannot read the answer (same-origin policy); the office has no sign-in to abuse.
@blueprint.post("/verify")
def verify() -> Any:
    upload = request.files.get("dossier")
    if upload is None or not upload.filename:
        return render_template("index.html", error="no_file"), 400
    data = upload.stream.read(MAX_DOSSIER_BYTES + 1)
    try:
        dossier = parse_dossier(data)
    except DataError as exc:
        return render_template("index.html", error=exc.code, detail=exc.message), 400
    settings = _ext()["settings"]
    try:
        report = verify_dossier(dossier, issuer=settings.issuer, jwks=_ext()["keys"],
                                audience=settings.identifier, catalogue=_ext()["catalogue"])
    except KeySourceError as exc:
        return render_template("index.html", error="keys_unavailable", detail=exc.code), 503
    lang = _lang()
    forms = procedure_forms(dossier.procedure, _ext()["catalogue"])
    labels = {fid: {f.id: f.label(lang) for f in form.fields} for fid, form in forms.items()}
    titles = {fid: form.title(lang) for fid, form in forms.items()}
    info = load_procedure_catalogue().get(dossier.procedure)
    procedure = info.text("title", lang) if info else dossier.procedure
    groups: dict[str, list[Any]] = {}
    for field in report.fields:
        groups.setdefault(field.form, []).append(field)
    status = 200 if report.ok else 422
    return render_template("report.html", report=report, labels=labels, titles=titles,
                           groups=groups, procedure=procedure), status
