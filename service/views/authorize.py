"""The authorization endpoint (OIDC Core §3.1.2) and the decision after each screen.

``/authorize`` validates the request and :func:`proceed` decides what the citizen
still has to do: sign in (no session, ``prompt=login``, ``max_age`` exceeded,
``id_token_hint`` naming someone else), consent (nothing remembered covers the
request, or ``prompt=consent``), or nothing: then a code goes back with ``state`` and
``iss`` (RFC 9207). A screen gets the request's id (:mod:`service.pending`: the request
is kept in the short-lived store only then) and returns to ``/authorize/resume``.
Implemented on ``eid`` rather than Authlib's authorization server; see
:mod:`service.tokens` for why.

Test mode (``EID_TEST_MODE=1`` only): a request of a test client (``test_only``
in ``fixtures/test-clients.json``) carrying ``X-Eid-Test-Identity: <ID number>``
signs that citizen in and approves the requested scopes without any screen.
Without test mode, or for a real portal, the header is ignored: a real portal's
citizen always sees the login and consent screens.
The mock (:mod:`service.mock`) may end a request with an injected error, and
with a persona signs every request in silently as that citizen (the header,
when present, wins).
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

from eid.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    UnmetAuthenticationRequirements,
)
from eid.population import Citizen
from eid.storage import Consent
from eid.verify import acr_satisfies
from service.authz_request import AuthorizationRequest, load_request, parse_request
from service.context import this_globals, this_request
from service.errors import redirect_to_client
from service.i18n import choose_lang
from service.par import is_pushed_uri, load_pushed
from service.params import MAX_LENGTHS, collect
from service.pending import PendingRequest
from service.provider import Provider, provider
from service.sessions import LoginSession, browser_key, current_session, start_session
from service.tokens import citizen_who_may_sign_in, issue_code

__all__ = ["TEST_IDENTITY_HEADER", "bp", "proceed"]

bp = Blueprint("authorize", __name__)

TEST_IDENTITY_HEADER = "X-Eid-Test-Identity"


class ExpiredRequest(InvalidRequest):
    """The pending authorization request is gone (expired, or never existed)."""

    redirectable = False


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response:
    p = provider()
    request = this_request()
    # OIDC Core §3.1.2.1: GET and POST (form-encoded) are both supported; a parameter
    # in both the query and the form of a POST counts as repeated (RFC 6749 §3.1).
    params = collect(request.args, request.form) if request.method == "POST" \
        else collect(request.args)
    # Error pages too are in the asked language (an oversized value is refused below).
    ui_locales = params.get("ui_locales") or ""
    choose_lang(ui_locales if len(ui_locales) <= MAX_LENGTHS["ui_locales"] else None)
    if is_pushed_uri(params.values.get("request_uri") or ""):
        # RFC 9126 §4: the pushed request, and nothing else of this one.
        req = load_pushed(p, params, browser=browser_key())
        this_globals().redirect_target = (req.redirect_uri, req.state)
    else:
        req = parse_request(p, params)
    # A valid request's language holds for the rest of its login (not a bogus one's: a
    # link from anywhere must not change the citizen's language); PAR: the pushed one's.
    choose_lang(req.ui_locales, new_request=True)
    if p.mock is not None:
        # After parse_request: the client and redirect URI are trusted, so the
        # injected error goes back to the portal with state and iss.
        p.mock.raise_injected_error()
    pending = PendingRequest.new(p, req)  # written only if a screen needs it
    identity = request.headers.get(TEST_IDENTITY_HEADER)
    client = p.clients.get(req.client_id)
    test_client = client is not None and client.test_only
    if p.settings.test_mode and identity is not None and test_client:
        return _test_sign_in(p, req, pending, identity.strip())
    if p.mock is not None and p.mock.persona is not None:
        return _test_sign_in(p, req, pending, p.mock.persona)
    return proceed(p, req, pending)


@bp.get("/authorize/resume")
def resume() -> Response:
    p = provider()
    req_id = this_request().args.get("req")
    req = load_request(p, req_id)
    if req is None or req_id is None:
        raise ExpiredRequest("the sign-in request has expired; start again from the portal")
    this_globals().redirect_target = (req.redirect_uri, req.state)
    return proceed(p, req, PendingRequest.kept(p, req_id))


def _needs_login(p: Provider, req: AuthorizationRequest, session: LoginSession | None) -> bool:
    if session is None:
        return True
    if req.fresh_login:
        return False
    # prompt=select_account: a fresh login is how a citizen picks another account.
    if "login" in req.prompt or "select_account" in req.prompt:
        return True
    # OIDC Core §3.1.2.1 max_age: re-authenticate when the last login is older.
    if req.max_age is not None and p.now() - session.auth_time > req.max_age:
        return True
    return not _is_required_subject(p, req, session)


def _is_required_subject(p: Provider, req: AuthorizationRequest, session: LoginSession) -> bool:
    client = p.clients.get(req.client_id)
    if not req.required_subjects or client is None:
        return True
    return req.required_subjects == {p.subject(client, session.id_number)}


def proceed(p: Provider, req: AuthorizationRequest, pending: PendingRequest, *,
            citizen: Citizen | None = None, epoch: int | None = None) -> Response:
    """Send the citizen to the next screen, or back to the portal with a code.

    ``pending``: where ``req`` is kept; a screen gets its id (written then if need be),
    the code supersedes it.

    ``citizen``: the signed-in citizen as :func:`citizen_who_may_sign_in` found them
    in this request (the test sign-in has just looked them up), so the registry is
    not asked twice.

    ``epoch``: the pair's revocation epoch as the caller read it with the consent it
    has just settled (``req.consented``), so the durable store is not asked twice;
    otherwise the consent and the epoch are read here, in one statement.

    :raises LoginRequired, ConsentRequired: ``prompt=none`` and a screen is needed.
    :raises AccessDenied: the account cannot sign in.
    :raises UnmetAuthenticationRequirements: its level is below the requested ``acr``.
    """
    this_globals().redirect_target = (req.redirect_uri, req.state)
    session = current_session()
    if _needs_login(p, req, session):
        if "none" in req.prompt:
            raise LoginRequired("the citizen is not signed in")
        return redirect(url_for("login.login", req=pending.id))
    assert session is not None  # noqa: S101 - _needs_login returned False
    # OIDC Core §5.5.1 (and §3.1.2.1 for id_token_hint): never a token for another
    # citizen than the one the request names, even after a fresh login.
    if not _is_required_subject(p, req, session):
        raise LoginRequired("the signed-in citizen is not the one this request names")
    if citizen is None or citizen.id_number != session.id_number:
        citizen = citizen_who_may_sign_in(p, session.id_number)
    if citizen is None:
        raise AccessDenied("the account cannot sign in")
    # Decree 69/2024: a level-1 account never satisfies a level-2 request; the portal
    # gets an error, never a weaker token.
    if req.acr is not None and not acr_satisfies(session.acr, req.acr):
        raise UnmetAuthenticationRequirements(
            f"the account's assurance level is below {req.acr}")
    if epoch is None or not req.consented:
        stored, epoch = p.durable.consent_and_epoch(session.id_number, req.client_id)
        if not req.consented and ("consent" in req.prompt or stored is None
                                  or not req.consent_items <= stored.scopes):
            if "none" in req.prompt:
                raise ConsentRequired("the citizen has not consented to this request")
            return redirect(url_for("consent.consent", req=pending.id))
    code = issue_code(p, req, session, epoch, replaces=pending.stored_key())
    return redirect_to_client(req.redirect_uri, {"code": code, "state": req.state})


def _test_sign_in(p: Provider, req: AuthorizationRequest, pending: PendingRequest,
                  id_number: str) -> Response:
    citizen = citizen_who_may_sign_in(p, id_number)
    if citizen is None or citizen.account is None:
        raise AccessDenied("test identity cannot sign in")
    session = start_session(citizen.id_number, citizen.account.level, ("test",))
    existing, epoch = p.durable.consent_and_epoch(session.id_number, req.client_id)
    if existing is None or not req.consent_items <= existing.scopes:
        # Written only when it widens: a remembered consent keeps the moment it was
        # given (what "my data" shows), and a repeated sign-in commits nothing.
        scopes = req.consent_items | (existing.scopes if existing else frozenset())
        p.durable.save_consent(Consent(session.id_number, req.client_id, scopes, p.now()))
    req.fresh_login = True
    req.consented = True
    return proceed(p, req, pending, citizen=citizen, epoch=epoch)
