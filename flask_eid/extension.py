"""The EidLogin extension: configuration, session state and the decorator."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from eid.errors import ConfigurationError
from eid.oidc import HttpClient, RelyingParty, quote_path
from eid.storage import EphemeralStore, ephemeral_store_from_url
from eid.verify import ACR_LEVELS, acr_rank
from flask_eid.csrf import csrf_token

__all__ = ["EidLogin", "SignedInCitizen", "current_citizen", "login_required"]

F = TypeVar("F", bound=Callable[..., Any])
_SESSION_KEY = "eid_sid"
_PENDING_KEY = "eid_pending"


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


@dataclass(slots=True)
class _State:
    rp: RelyingParty
    store: EphemeralStore
    lifetime: int
    on_error: Callable[[Exception], Any] | None = None
    post_logout_redirect_uri: str | None = None


class EidLogin:
    """The extension. Keys read from ``app.config``:

    ``EID_ISSUER``, ``EID_CLIENT_ID``, ``EID_CLIENT_SECRET`` (required);
    ``EID_REDIRECT_URI`` (default: this app's callback URL), ``EID_SCOPES``
    (default ``"openid profile"``), ``EID_AUTH_METHOD``, ``EID_SESSION_STORE_URL``
    (Redis URL for the server-side session store; memory by default),
    ``EID_SESSION_LIFETIME`` (seconds, default 3600), ``EID_POST_LOGOUT_REDIRECT_URI``,
    ``EID_URL_PREFIX`` (default ``/auth``).
    """

    def __init__(self, app: Flask | None = None, *, http: HttpClient | None = None,
                 store: EphemeralStore | None = None,
                 on_error: Callable[[Exception], Any] | None = None) -> None:
        self._http, self._store, self._on_error = http, store, on_error
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the blueprint and the extension state on ``app``.

        :raises ConfigurationError: ``missing_setting`` for a missing required key.
        """
        from flask_eid.views import blueprint

        cfg = app.config
        for key in ("EID_ISSUER", "EID_CLIENT_ID", "EID_CLIENT_SECRET"):
            if not cfg.get(key):
                raise ConfigurationError(f"{key} is not set", code="missing_setting")
        if not app.secret_key:
            raise ConfigurationError("the app needs a SECRET_KEY for its session",
                                     code="missing_setting")
        prefix = cfg.get("EID_URL_PREFIX", "/auth")
        redirect_uri = cfg.get("EID_REDIRECT_URI") or (
            cfg.get("EID_PUBLIC_URL", "http://127.0.0.1:5001").rstrip("/") + prefix + "/callback")
        rp = RelyingParty(
            issuer=cfg["EID_ISSUER"], client_id=cfg["EID_CLIENT_ID"],
            client_secret=cfg["EID_CLIENT_SECRET"], redirect_uri=redirect_uri,
            scopes=tuple(str(cfg.get("EID_SCOPES", "openid profile")).split()),
            auth_method=cfg.get("EID_AUTH_METHOD", "client_secret_basic"), http=self._http)
        store = self._store or ephemeral_store_from_url(cfg.get("EID_SESSION_STORE_URL"),
                                                        prefix="eid-portal:")
        app.extensions["eid_login"] = _State(
            rp=rp, store=store, lifetime=int(cfg.get("EID_SESSION_LIFETIME", 3600)),
            on_error=self._on_error,
            post_logout_redirect_uri=cfg.get("EID_POST_LOGOUT_REDIRECT_URI"))
        app.register_blueprint(blueprint, url_prefix=prefix)
        # The logout form needs it: <input type=hidden name=eid_csrf_token value=...>.
        app.add_template_global(csrf_token, "eid_csrf_token")

    def error_handler(self, fn: Callable[[Exception], Any]) -> Callable[[Exception], Any]:
        """Decorator: render login failures yourself (the default page shows the code).

        Applies to apps initialised after it is set; or pass ``on_error=``.
        """
        self._on_error = fn
        return fn


def _state() -> _State:
    state: _State = current_app.extensions["eid_login"]
    return state


def start_session(citizen: SignedInCitizen) -> None:
    """Store ``citizen`` server-side and put only a random id in the Flask session."""
    state = _state()
    old = session.get(_SESSION_KEY)
    if isinstance(old, str):
        state.store.delete("session:" + old)
    sid = secrets.token_urlsafe(32)  # a fresh id at every sign-in (no session fixation)
    data = {"subject": citizen.subject, "acr": citizen.acr, "claims": citizen.claims,
            "id_token": citizen.id_token, "sid": citizen.sid,
            "signed_in_at": citizen.signed_in_at, "scopes": list(citizen.scopes),
            "refresh_token": citizen.refresh_token}
    state.store.put("session:" + sid, data, state.lifetime)
    if citizen.sid:
        # Back-channel logout names the provider's sid; remember which local session it is.
        state.store.put("provider-sid:" + citizen.sid, {"session": sid}, state.lifetime)
    session[_SESSION_KEY] = sid


def end_session(local_sid: str | None = None) -> None:
    """End the local session (the current one, or ``local_sid``)."""
    sid = local_sid or session.pop(_SESSION_KEY, None)
    if isinstance(sid, str):
        _state().store.delete("session:" + sid)


def current_citizen() -> SignedInCitizen | None:
    """The signed-in citizen of this request, or ``None``."""
    if "eid_citizen" in g:
        cached: SignedInCitizen | None = g.eid_citizen
        return cached
    sid = session.get(_SESSION_KEY)
    data = _state().store.get("session:" + sid) if isinstance(sid, str) else None
    citizen = SignedInCitizen(**{**data, "scopes": tuple(data.get("scopes", ()))}) if data else None
    g.eid_citizen = citizen
    return citizen


def _this_url() -> str:
    # Werkzeug's request.path is decoded: encode it again so that the way back
    # is the URL asked for ("/a%20b", not "/a b", which the login refuses).
    path = quote_path(request.path)
    query = request.query_string.decode("ascii", "replace")
    return f"{path}?{query}" if query else path


def login_required(acr: str | None = None) -> Callable[[F], F]:
    """Require a signed-in citizen, at assurance level ``acr`` or higher.

    A citizen signed in below ``acr`` is sent to log in again at that level
    (step-up); so is one not signed in at all.

    :raises ConfigurationError: ``unknown_acr`` at decoration time.
    """
    if acr is not None and acr not in ACR_LEVELS:
        raise ConfigurationError(f"unknown acr {acr!r}", code="unknown_acr")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            citizen = current_citizen()
            if citizen is None or (acr is not None and acr_rank(citizen.acr) < acr_rank(acr)):
                if request.method not in ("GET", "HEAD"):
                    abort(401)
                target = url_for("eid_login.login", next=_this_url(), acr=acr)
                return redirect(target)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

