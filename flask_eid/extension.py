"""The EidLogin extension: reads the configuration and registers the routes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask

from eid.datafiles import read_json
from eid.errors import ConfigurationError
from eid.oidc import HttpClient, RelyingParty, safe_local_path
from eid.storage import EphemeralStore, ephemeral_store_from_url
from eid.verify import DecryptionKeys
from flask_eid.csrf import csrf_token
from flask_eid.state import LoginState
from flask_eid.views import blueprint

__all__ = ["EidLogin"]

class EidLogin:
    """The extension. Keys read from ``app.config``:

    ``EID_ISSUER``, ``EID_CLIENT_ID``, ``EID_CLIENT_SECRET`` (required);
    ``EID_REDIRECT_URI`` (default: this app's callback URL), ``EID_SCOPES``
    (default ``"openid profile"``), ``EID_AUTH_METHOD``, ``EID_SESSION_STORE_URL``
    (Redis URL for the server-side session store; memory by default),
    ``EID_SESSION_LIFETIME`` (seconds, default 3600), ``EID_POST_LOGOUT_REDIRECT_URI``,
    ``EID_URL_PREFIX`` (default ``/auth``), ``EID_DECRYPTION_KEYS`` (path to the
    portal's private JWKS for encrypted ID tokens and userinfo, relative to the app's
    root like ``app.config.from_file``; set, it makes plain ID tokens refused),
    ``EID_SIGNED_OUT_URL`` (where a citizen lands after signing out, default ``/``).

    ``locale_selector`` returns the language the citizen chose on the portal (BCP 47
    tags, most preferred first): sent as ``ui_locales`` on every login and step-up
    (OIDC Core §3.1.2.1), so the provider's screens speak it too.
    """

    def __init__(self, app: Flask | None = None, *, http: HttpClient | None = None,
                 store: EphemeralStore | None = None,
                 on_error: Callable[[Exception], Any] | None = None,
                 locale_selector: Callable[[], str | None] | None = None) -> None:
        self._http, self._store, self._on_error = http, store, on_error
        self._locale_selector = locale_selector
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the blueprint and the extension state on ``app``.

        :raises ConfigurationError: ``missing_setting`` for a missing required key.
        """
        cfg = app.config
        for key in ("EID_ISSUER", "EID_CLIENT_ID", "EID_CLIENT_SECRET"):
            if not cfg.get(key):
                raise ConfigurationError(f"{key} is not set", code="missing_setting")
        if not app.secret_key:
            raise ConfigurationError("the app needs a SECRET_KEY for its session",
                                     code="missing_setting")
        prefix = cfg.get("EID_URL_PREFIX", "/auth")
        public = cfg.get("EID_PUBLIC_URL", "http://127.0.0.1:5001").rstrip("/")
        redirect_uri = cfg.get("EID_REDIRECT_URI") or public + prefix + "/callback"
        rp = RelyingParty(
            issuer=cfg["EID_ISSUER"], client_id=cfg["EID_CLIENT_ID"],
            client_secret=cfg["EID_CLIENT_SECRET"], redirect_uri=redirect_uri,
            scopes=tuple(str(cfg.get("EID_SCOPES", "openid profile")).split()),
            auth_method=cfg.get("EID_AUTH_METHOD", "client_secret_basic"), http=self._http,
            decryption_keys=_decryption_keys(cfg))
        store = self._store or ephemeral_store_from_url(cfg.get("EID_SESSION_STORE_URL"),
                                                        prefix="eid-portal:")
        app.extensions["eid_login"] = LoginState(
            rp=rp, store=store, lifetime=int(cfg.get("EID_SESSION_LIFETIME", 3600)),
            on_error=self._on_error,
            post_logout_redirect_uri=cfg.get("EID_POST_LOGOUT_REDIRECT_URI"),
            locale_selector=self._locale_selector,
            backchannel_logout_uri=public + prefix + "/backchannel-logout",
            signed_out_url=safe_local_path(cfg.get("EID_SIGNED_OUT_URL")))
        app.register_blueprint(blueprint, url_prefix=prefix)
        # The logout form needs it: <input type=hidden name=eid_csrf_token value=...>.
        app.add_template_global(csrf_token, "eid_csrf_token")

    def error_handler(self, fn: Callable[[Exception], Any]) -> Callable[[Exception], Any]:
        """Decorator: render login failures yourself (the default page shows the code).

        Applies to apps initialised after it is set; or pass ``on_error=``.
        """
        self._on_error = fn
        return fn


def _decryption_keys(cfg: Any) -> DecryptionKeys | None:
    """The private JWKS named by ``EID_DECRYPTION_KEYS``, parsed once at start-up.

    :raises ConfigurationError: ``invalid_decryption_key`` for an unusable key set.
    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: the file is not JSON.
    """
    path = cfg.get("EID_DECRYPTION_KEYS")
    if not path:
        return None
    return DecryptionKeys.from_jwks(read_json(os.path.join(cfg.root_path, os.fspath(path))))
