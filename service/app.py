"""The application factory of the national login service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from flask import Flask, Response

from service.app_class import ServiceFlask, ServiceResponse
from service.backchannel import install_sender
from service.config import Settings
from service.context import this_globals, this_request
from service.csrf import CSRF_FIELD, csrf_token
from service.errors import register_error_handlers
from service.i18n import LANGS, lang, switch_url, translate
from service.limits import apply_body_limit
from service.metrics import install_metrics
from service.provider import build_provider
from service.trace import install_tracing
from service.transparency import install_checkpointer

__all__ = ["create_app"]

# Responses that may be cached by anyone: they hold no personal data.
_PUBLIC_ENDPOINTS = frozenset({"static", "discovery.configuration", "discovery.jwks",
                               "credential.metadata", "credential.status_list",
                               "transparency.checkpoint", "transparency.key",
                               "transparency.inclusion", "transparency.consistency"})


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the login service.

    Settings come from ``EID_`` environment variables (:class:`Settings.from_env`)
    unless ``test_config["EID_SETTINGS"]`` gives a :class:`Settings`; other keys
    of ``test_config`` are Flask configuration (``TESTING``).

    :raises EidError: a data file is invalid or a store cannot be opened.
    """
    config = dict(test_config or {})
    settings = config.pop("EID_SETTINGS", None) or Settings.from_env()
    app = ServiceFlask(__name__)
    p = build_provider(settings)
    app.extensions["eid"] = p
    app.config.update(
        SECRET_KEY=p.session_secret,
        SESSION_COOKIE_NAME="eid_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=settings.session_ttl,
    )
    install_metrics(app, settings.metrics_dir)  # first: its clock covers the other hooks
    install_tracing(app)
    apply_body_limit(app)
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from service.views import (
        accessed,
        api,
        assets,
        authorize,
        consent,
        credential,
        discovery,
        login,
        logout,
        match,
        mydata,
        ops,
        par,
        registration,
        transparency,
    )

    for module in (discovery, authorize, login, consent, mydata, accessed, logout, api, par,
                   registration, ops, transparency, match, credential, assets):
        app.register_blueprint(module.bp)
    if settings.mock:
        # The mock's picker and test-control API; never part of the normal service.
        from service.views import mock

        app.register_blueprint(mock.control)
        app.register_blueprint(mock.picker)
    register_error_handlers(app)
    install_sender(app, p, threaded=settings.backchannel_thread)
    install_checkpointer(app, p.durable, p.issuer, interval=settings.checkpoint_interval,
                         clock=p.now)
    app.jinja_env.globals.update(
        t=translate, lang=lang, csrf_token=csrf_token, csrf_field=CSRF_FIELD,
        switch_url=switch_url, langs=LANGS)
    app.after_request(_security_headers)
    return app


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


#: The headers every answer gets (lower-cased name, name, value); Cache-Control only where
#: the endpoint is not public. CSP is a default: a view may set its own.
_ALWAYS: Final = (("x-frame-options", "X-Frame-Options", "DENY"),
                  ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
                  # Codes travel in redirect URLs: never leak them through Referer.
                  ("referrer-policy", "Referrer-Policy", "no-referrer"))
_NO_STORE: Final = ("cache-control", "Cache-Control", "no-store")
_CSP: Final = ("default-src 'none'; style-src 'self'; img-src 'self'; "
               "form-action {}; frame-ancestors 'none'; base-uri 'none'")
_CSP_SELF: Final = _CSP.format("'self'")


def _security_headers(response: Response) -> Response:
    # One pass over the response's headers; what the view did not set goes out as late
    # headers (ServiceResponse), past werkzeug's per-header work: every request pays this.
    headers = response.headers
    present = {key.lower(): value for key, value in headers}
    late: list[tuple[str, str]] = []
    if "content-security-policy" not in present:
        # Forms post to this origin; the login and consent forms end in a redirect to
        # the portal, which browsers also check against form-action (CSP Level 3
        # §6.3.1.1). The origin is a registered redirect URI's; werkzeug's own check
        # (no line breaks) runs on it all the same.
        target = this_globals().get("form_action_origin")
        if target:
            headers.add("Content-Security-Policy", _CSP.format(f"'self' {_origin(target)}"))
        else:
            late.append(("Content-Security-Policy", _CSP_SELF))
    wanted = _ALWAYS if this_request().endpoint in _PUBLIC_ENDPOINTS else (*_ALWAYS, _NO_STORE)
    for lowered, name, value in wanted:
        if lowered in present:
            if present[lowered] != value:
                headers[name] = value  # replaces the view's value, as before
        else:
            late.append((name, value))
    if isinstance(response, ServiceResponse):
        response.late_headers = late  # this hook's alone: a response seen twice gets one set
    else:  # a response class of its own: the headers go in the ordinary way
        headers.extend(late)
    return response
