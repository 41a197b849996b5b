"""The extension's state: per app (the relying party, the session store) and per request
(the signed-in citizen, kept server-side under a random id in the Flask session).

Below both :mod:`flask_eid.views` and :mod:`flask_eid.extension`, which use it.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from eid.errors import ConfigurationError
from eid.oidc import RelyingParty, quote_path
from eid.storage import EphemeralStore, tagged
from eid.verify import ACR_LEVELS, acr_rank

__all__ = ["ENDED_REASONS", "PENDING_KEY", "LoginState", "SignedInCitizen", "current_citizen",
           "end_session", "login_required", "login_state", "note_ended", "session_ended",
           "start_session"]

F = TypeVar("F", bound=Callable[..., Any])
_SESSION_KEY = "eid_sid"
#: The Flask session key of the login in progress (state, nonce, PKCE verifier, next).
PENDING_KEY = "eid_pending"
_ENDED_KEY = "eid_ended"
#: Why a session ended, as :func:`session_ended` reports it once: the citizen signed
#: out here; the provider ended the provider session it came from (a back-channel
#: logout token with ``sid``); the provider ended every session of the citizen at this
#: portal (a token with ``sub`` only: the login service sends one when the citizen
#: withdraws this portal's access, Back-Channel Logout 1.0 §2.4).
ENDED_REASONS = ("signed_out", "provider_session_ended", "access_withdrawn")


@dataclass(frozen=True, slots=True)
class SignedInCitizen:
    """The citizen signed in to this portal (what views see)."""

    subject: str
    acr: str | None
    claims: dict[str, Any]
    id_token: str | None
    sid: str | None
    signed_in_at: float
    #: Scopes the provider granted (what the citizen consented to share).
    scopes: tuple[str, ...] = ()
    refresh_token: str | None = field(default=None, repr=False)
    #: The procedure the login was granted for (RFC 9396 ``vn_procedure``), if any.
    procedure: str | None = None
    #: The access token of the login, its type and when it expires (a portal calls the
    #: provider's other resources with it, e.g. its credential endpoint).
    access_token: str | None = field(default=None, repr=False)
    token_type: str | None = None
    access_token_expires_at: float | None = None


@dataclass(slots=True)
class LoginState:
    """What :class:`~flask_eid.EidLogin` keeps in ``app.extensions["eid_login"]``."""

    rp: RelyingParty
    store: EphemeralStore
    lifetime: int
    on_error: Callable[[Exception], Any] | None = None
    post_logout_redirect_uri: str | None = None
    #: The citizen's preferred languages for the provider's screens (``ui_locales``).
    locale_selector: Callable[[], str | None] | None = None
    #: Where this portal receives logout tokens (what it registers at the provider).
    backchannel_logout_uri: str | None = None
    #: Where the citizen lands after signing out (a clean URL: the provider's
    #: redirect parameters stop at the extension's own landing route).
    signed_out_url: str = "/"


# The keys of the portal's short-lived store (eid.storage.keys: the tag is a Redis Cluster
# hash tag). Each is its own group: a local session, the provider session it came from, a
# logout token seen; the README's "Redis" section has the table.
def session_key(sid: str) -> str:
    """A signed-in citizen's local session record."""
    return tagged(sid, "session")


def provider_sid_key(provider_sid: str) -> str:
    """Which local session the provider's ``sid`` started (back-channel logout)."""
    return tagged(provider_sid, "provider-sid")


def provider_sub_key(subject: str) -> str:
    """The local sessions of the provider's ``sub`` (a logout token naming no ``sid``)."""
    return tagged(subject, "provider-sub")


def logout_jti_key(jti: str) -> str:
    """A logout token's ``jti`` seen (Back-Channel Logout §2.6)."""
    return tagged(jti, "logout-jti")


def login_state() -> LoginState:
    """The current app's extension state."""
    state: LoginState = current_app.extensions["eid_login"]
    return state


def start_session(citizen: SignedInCitizen) -> None:
    """Store ``citizen`` server-side and put only a random id in the Flask session."""
    state = login_state()
    old = session.get(_SESSION_KEY)
    if isinstance(old, str):
        state.store.delete(session_key(old))
    sid = secrets.token_urlsafe(32)  # a fresh id at every sign-in (no session fixation)
    data = {"subject": citizen.subject, "acr": citizen.acr, "claims": citizen.claims,
            "id_token": citizen.id_token, "sid": citizen.sid,
            "signed_in_at": citizen.signed_in_at, "scopes": list(citizen.scopes),
            "refresh_token": citizen.refresh_token, "procedure": citizen.procedure,
            "access_token": citizen.access_token, "token_type": citizen.token_type,
            "access_token_expires_at": citizen.access_token_expires_at}
    state.store.put(session_key(sid), data, state.lifetime)
    if citizen.sid:
        # Back-channel logout names the provider's sid; remember which local session it is.
        state.store.put(provider_sid_key(citizen.sid), {"session": sid}, state.lifetime)
    # A logout token may name only the subject (all its sessions here): keep its
    # sessions too, the ones still alive, capped (one browser signing in over and over).
    sub_key = provider_sub_key(citizen.subject)
    earlier = (state.store.get(sub_key) or {}).get("sessions")
    alive = [s for s in earlier if isinstance(s, str) and state.store.get(session_key(s))] \
        if isinstance(earlier, list) else []
    state.store.put(sub_key, {"sessions": [*alive[-_MAX_SESSIONS + 1:], sid]}, state.lifetime)
    session[_SESSION_KEY] = sid


_MAX_SESSIONS = 32


def end_session(local_sid: str | None = None, *, reason: str | None = None) -> None:
    """End the local session (the current one, or ``local_sid``).

    :param reason: one of :data:`ENDED_REASONS`, for a session ended from elsewhere
        (back-channel logout): its browser is told why at its next request.
    """
    sid = local_sid or session.pop(_SESSION_KEY, None)
    if not isinstance(sid, str):
        return
    state = login_state()
    if reason is None:
        state.store.delete(session_key(sid))
    elif state.store.get(session_key(sid)) is not None:
        # The record gives way to a marker naming why, for the browser's next request.
        state.store.put(session_key(sid), {"ended": reason}, state.lifetime)


def note_ended(reason: str) -> None:
    """Remember for this browser why its session ended (shown once, :func:`session_ended`)."""
    session[_ENDED_KEY] = reason


def session_ended(*, keep: bool = False) -> str | None:
    """Why this browser's session ended since it last asked (one of
    :data:`ENDED_REASONS`), once; ``None`` when nothing ended. A portal shows it so a
    citizen never finds themselves signed out without a word of why.

    :param keep: only look: the reason is still there for the next call.
    """
    current_citizen()  # a session ended from elsewhere is noticed here
    reason = session.get(_ENDED_KEY) if keep else session.pop(_ENDED_KEY, None)
    return reason if reason in ENDED_REASONS else None


def current_citizen() -> SignedInCitizen | None:
    """The signed-in citizen of this request, or ``None``."""
    if "eid_citizen" in g:
        cached: SignedInCitizen | None = g.eid_citizen
        return cached
    sid = session.get(_SESSION_KEY)
    store = login_state().store
    data = store.get(session_key(sid)) if isinstance(sid, str) else None
    if data is not None and "ended" in data:
        # Ended by the provider (back-channel logout): this browser learns it now.
        store.delete(session_key(str(sid)))
        session.pop(_SESSION_KEY, None)
        note_ended(str(data["ended"]))
        data = None
    citizen = SignedInCitizen(**{**data, "scopes": tuple(data.get("scopes", ()))}) if data else None
    g.eid_citizen = citizen
    return citizen


def _this_url() -> str:
    # Werkzeug's request.path is decoded: encode it again so that the way back
    # is the URL asked for ("/a%20b", not "/a b", which the login refuses).
    path = quote_path(request.path)
    query = request.query_string.decode("ascii", "replace")
    return f"{path}?{query}" if query else path


def login_required(acr: str | None = None, procedure: str | None = None
                   ) -> Callable[[F], F]:
    """Require a signed-in citizen, at assurance level ``acr`` or higher, and (with
    ``procedure``) signed in for that procedure.

    A citizen signed in below ``acr``, or for another procedure (or none), is sent to
    log in again with them (step-up; silent at the provider when the session and the
    consent hold); so is one not signed in at all.

    :raises ConfigurationError: ``unknown_acr`` at decoration time.
    """
    if acr is not None and acr not in ACR_LEVELS:
        raise ConfigurationError(f"unknown acr {acr!r}", code="unknown_acr")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            citizen = current_citizen()
            if citizen is None or (acr is not None and acr_rank(citizen.acr) < acr_rank(acr)) \
                    or (procedure is not None and citizen.procedure != procedure):
                if request.method not in ("GET", "HEAD"):
                    abort(401)
                target = url_for("eid_login.login", next=_this_url(), acr=acr,
                                 procedure=procedure)
                return redirect(target)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

