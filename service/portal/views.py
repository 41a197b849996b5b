"""The portal's pages: procedures, prefilled forms, filing, receipts."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
)
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from eid.errors import EidError, NotFoundError
from eid.oidc import quote_path, safe_local_path
from eid.prefill import ACTION_FIELD, PrefillResult, prefill, render_html
from eid.verify import acr_rank
from flask_eid import (
    CSRF_FIELD,
    SignedInCitizen,
    csrf_token,
    csrf_token_valid,
    current_citizen,
    session_ended,
)
from service.portal.filings import Filing, FilingStore, new_reference
from service.portal.forms import collect, entered, table_action
from service.portal.procedures import PortalProcedure
from service.times import iso_time, local_time

blueprint = Blueprint("portal", __name__, template_folder="templates")

_REFUSALS = {"acr_too_low": "level_refused", "unmet_authentication_requirements": "level_refused",
             "access_denied": "denied", "csrf_token_invalid": "csrf"}


def _ext() -> dict[str, Any]:
    ext: dict[str, Any] = current_app.extensions["portal"]
    return ext


def _lang() -> str:
    return "en" if session.get("lang") == "en" else "vi"


def chosen_language() -> str:
    """The language the citizen chose here: flask_eid sends it as ``ui_locales``."""
    return _lang()


def _switch_url(code: str) -> str:
    # The way back after the switch: this page's URL, encoded again (request.path is
    # decoded) and held to the same-site rule the switch itself applies.
    here = safe_local_path(quote_path(request.path))
    return "/lang/" + code + "?" + urllib.parse.urlencode({"next": here})


@blueprint.app_context_processor
def _globals() -> dict[str, Any]:
    lang = _lang()
    # One CSRF token per browser session for every form, the logout form included
    # (flask_eid renews it at sign-in and sign-out).
    return {"t": _ext()["text"][lang], "lang": lang, "citizen": current_citizen(),
            "csrf_token": csrf_token, "csrf_field": CSRF_FIELD, "switch_url": _switch_url,
            "level": _level,
            # Signed out (here, or ended by the login service): said once, on the next page.
            "session_ended": session_ended()}


def _level(acr: str) -> str:
    """The level as citizens name it ("mức độ 2"), never the protocol's ``LoA2``."""
    return str(acr_rank(acr) + 1) if acr_rank(acr) >= 0 else "?"


@blueprint.before_app_request
def _ended_elsewhere() -> Response | None:
    # A session the login service ended (consent withdrawn, signed out there) ends at
    # this request: the citizen lands on the home page saying why, not silently on a
    # fresh login.
    if request.method == "GET" and request.endpoint not in ("portal.index", "static") \
            and session_ended(keep=True) in ("provider_session_ended", "access_withdrawn"):
        return redirect("/")
    return None


@blueprint.after_app_request
def _headers(resp: Response) -> Response:
    # form-action must admit the login service: logout posts here and is then
    # redirected there, and browsers check the whole redirect chain.
    issuer = urllib.parse.urlsplit(current_app.config["EID_ISSUER"])
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; style-src 'self'; form-action 'self' "
                            f"{issuer.scheme}://{issuer.netloc}; frame-ancestors 'none'")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    # Pages show personal data: never cache them.
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def render_login_error(exc: Exception) -> Any:
    code = exc.code if isinstance(exc, EidError) else "login_failed"
    status = 403 if code in _REFUSALS else 400
    return render_template("error.html", code=code, message=_REFUSALS.get(code, "generic_error")
                           ), status


@blueprint.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    # The portal's own page, in the citizen's language, with the way home (Werkzeug's
    # default is an English page without either); the error's headers kept (Allow).
    status = exc.code or 500
    message = "not_found" if status == 404 else "generic_http_error"
    resp = make_response(render_template("error.html", code=status, message=message), status)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    return resp


@blueprint.get("/")
def index() -> str:
    return render_template("index.html", procedures=_ext()["procedures"].values())


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it on every page: a real icon, not a 404.
    folder = current_app.static_folder
    assert folder is not None  # noqa: S101 - the app is built with its static folder
    return send_from_directory(folder, "favicon.ico", mimetype="image/x-icon")


@blueprint.get("/lang/<code>")
def set_lang(code: str) -> Response:
    session["lang"] = "en" if code == "en" else "vi"
    return redirect(safe_local_path(request.args.get("next")))


def _procedure(pid: str) -> PortalProcedure:
    proc: PortalProcedure | None = _ext()["procedures"].get(pid)
    if proc is None:
        abort(404)
    return proc


def _login_url(proc: PortalProcedure, *, scopes: tuple[str, ...], prompt: str | None = None
               ) -> str:
    # RFC 9396: the login names the procedure (shown on the consent screen, recorded
    # with every release of the citizen's data).
    # The credential's scope too (OpenID4VCI 1.0 §5.1.2): at filing, the portal obtains
    # the citizen's credential for the dossier it forwards to the receiving office.
    credential_scope = _ext()["dossiers"].scope
    if credential_scope:
        scopes = tuple(dict.fromkeys((*scopes, credential_scope)))
    query = {"acr": proc.acr, "scope": " ".join(scopes), "next": f"/procedures/{proc.id}",
             "procedure": proc.id}
    if prompt:
        query["prompt"] = prompt
    return "/auth/login?" + urllib.parse.urlencode(query)


def _results(proc: PortalProcedure, citizen: SignedInCitizen) -> list[PrefillResult]:
    # Portal side: from the consented userinfo claims and the granted scopes.
    return [prefill(form, citizen.claims, citizen.scopes) for form in proc.forms]


def _page(proc: PortalProcedure, citizen: SignedInCitizen, missing: list[str] | None = None,
          status: int = 200, typed: dict[str, dict[str, Any]] | None = None
          ) -> tuple[str, int]:
    results = _results(proc, citizen)
    chained = len(proc.forms) > 1
    missing = missing or []
    html, missing_labels = "", []
    for r, f in zip(results, proc.forms, strict=True):
        prefix = f"{f.id}." if chained else ""
        # Each missing field is marked invalid and described by the message naming it.
        errors = {fl.id: "missing" for fl in f.fields if prefix + fl.id in missing}
        missing_labels += [fl.label(_lang()) for fl in f.fields if fl.id in errors]
        html += render_html(r, f, lang=_lang(), prefix=prefix,
                            entered=(typed or {}).get(f.id), errors=errors)
    withheld = sorted({s for r in results for fv in r.fields for s in fv.withheld_by})
    ask = _login_url(proc, scopes=(*proc.scopes, *withheld), prompt="consent") if withheld \
        else None
    # What more to share, by the catalogue's labels (never the scope ids).
    labels = [_scope_label(proc, s) for s in withheld]
    return render_template("procedure.html", proc=proc, form_html=Markup(html),  # noqa: S704
                           withheld=labels, ask_url=ask, missing=missing_labels), status


def _scope_label(proc: PortalProcedure, scope: str) -> str:
    labels = (f.scope_label(scope, _lang()) for f in proc.forms)
    return next((label for label in labels if label != scope), scope)


@blueprint.route("/procedures/<pid>", methods=["GET", "POST"])
def procedure(pid: str) -> Any:
    proc = _procedure(pid)
    citizen = current_citizen()
    # Data released for another procedure (or none) does not fill this one's forms.
    if citizen is None or acr_rank(citizen.acr) < acr_rank(proc.acr) \
            or citizen.procedure != proc.id:
        if request.method == "POST":
            abort(401)
        return redirect(_login_url(proc, scopes=proc.scopes))
    if request.method == "GET":
        return _page(proc, citizen)
    if not csrf_token_valid(request.form.get("csrf_token")):
        return render_template("error.html", code="csrf", message="csrf"), 400
    chained = len(proc.forms) > 1
    forms: dict[str, dict[str, Any]] = {}
    typed: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for result, form in zip(_results(proc, citizen), proc.forms, strict=True):
        prefix = f"{form.id}." if chained else ""
        typed[form.id] = entered(result, form, request.form, prefix)
        table_action(result, form, request.form, typed[form.id], prefix)
        values, absent = collect(result, form, request.form, prefix)
        forms[form.id] = values
        missing += [prefix + f for f in absent]
    if ACTION_FIELD in request.form:
        # A table's add/remove button (the page without JavaScript): shown again, not filed.
        return _page(proc, citizen, typed=typed)
    if missing:
        return _page(proc, citizen, missing, 422, typed)
    now = time.time()
    reference = new_reference(now)
    dossier, problem = _ext()["dossiers"].seal(citizen, proc, reference, now, forms)
    filing = _ext()["filings"].add(citizen.subject, proc.id, citizen.acr, forms,
                                   reference=reference, submitted_at=now, dossier=dossier,
                                   dossier_problem=problem)
    return redirect(f"/filings/{filing.reference}", code=303)


@blueprint.get("/filings")
def filings() -> Any:
    citizen = current_citizen()
    if citizen is None:
        return redirect("/auth/login?next=/filings")
    return render_template("filings.html", filings=_ext()["filings"].of(citizen.subject),
                           procedures=_ext()["procedures"], local_time=local_time,
                           iso_time=iso_time)


def _own_filing(reference: str) -> Filing | None:
    """The signed-in citizen's filing ``reference``; ``None`` when nobody is signed in.

    Another citizen's filing is a 404, as one that does not exist: the answer must not
    tell a reference number that exists from one that does not.
    """
    citizen = current_citizen()
    if citizen is None:
        return None
    store: FilingStore = _ext()["filings"]
    try:
        return store.get(reference, citizen.subject)
    except NotFoundError:
        abort(404)


@blueprint.get("/filings/<reference>")
def receipt(reference: str) -> Any:
    filing = _own_filing(reference)
    if filing is None:
        return redirect("/auth/login?next=/filings")
    proc = _ext()["procedures"].get(filing.procedure_id)
    labels = {f.id: {fl.id: fl.label(_lang()) for fl in f.fields} for f in proc.forms} \
        if proc else {}
    titles = {f.id: f.title(_lang()) for f in proc.forms} if proc else {}
    return render_template("receipt.html", filing=filing, proc=proc, labels=labels,
                           titles=titles, office=_ext()["dossiers"].office,
                           submitted=local_time(filing.submitted_at, _lang()),
                           submitted_iso=iso_time(filing.submitted_at))


@blueprint.get("/filings/<reference>/dossier")
def dossier(reference: str) -> Any:
    """The sealed dossier as a file to forward ("chuyển hồ sơ")."""
    filing = _own_filing(reference)
    if filing is None:
        return redirect("/auth/login?next=/filings")
    if filing.dossier is None:
        abort(404)
    return Response(filing.dossier, content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{filing.reference}.dossier.json"'})
