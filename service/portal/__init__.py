"""A demo provincial public-service portal, built only on ``eid``'s public API.

It shows a portal developer's whole journey: "Log in with VNeID" through
:mod:`flask_eid`, forms prefilled with :mod:`eid.prefill` from the consented
data, and a paperless filing that keeps each value's provenance.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from eid.datafiles import data_path, read_json
from eid.oidc import HttpClient
from flask_eid import EidLogin
from service.portal.filings import FilingStore
from service.portal.procedures import load_procedures

__all__ = ["create_portal_app"]



def _secret_key(instance: Path) -> str:
    path = instance / "portal-secret-key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_portal_app(test_config: dict[str, Any] | None = None, *,
                      http: HttpClient | None = None) -> Flask:
    """The portal app. Settings (``EID_PORTAL_*`` environment variables, or ``test_config``):

    issuer of the login service, this portal's client id and secret, its public
    URL, and an instance folder for its secret key and the filings database.
    """
    env = os.environ
    instance = Path(env.get("EID_PORTAL_INSTANCE", "instance/portal"))
    app = Flask(__name__, instance_path=str(instance.resolve()))
    app.config.update(
        EID_ISSUER=env.get("EID_PORTAL_ISSUER", "http://127.0.0.1:5000"),
        EID_CLIENT_ID=env.get("EID_PORTAL_CLIENT_ID", "cong-dvc-hcm"),
        # The demo client's published secret (fixtures/README.md); set your own.
        EID_CLIENT_SECRET=env.get("EID_PORTAL_CLIENT_SECRET", "demo-hcm-portal-secret-2026"),
        EID_PUBLIC_URL=env.get("EID_PORTAL_URL", "http://127.0.0.1:5001"),
        EID_SCOPES="openid profile",
        EID_POST_LOGOUT_REDIRECT_URI=env.get("EID_PORTAL_URL", "http://127.0.0.1:5001") + "/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # the callback is a top-level GET from the provider
        SESSION_COOKIE_NAME="portal_session",
        FILINGS_DB=str(instance / "filings.sqlite"),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    app.config["SESSION_COOKIE_SECURE"] = app.config["EID_PUBLIC_URL"].startswith("https://")
    if app.config["FILINGS_DB"] != ":memory:":
        Path(app.config["FILINGS_DB"]).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["portal"] = {
        "procedures": load_procedures(),
        "filings": FilingStore(app.config["FILINGS_DB"]),
        "text": read_json(data_path("service.portal", "translations.json")),
    }
    from service.portal.views import blueprint, render_login_error

    EidLogin(app, http=http, on_error=render_login_error)
    app.register_blueprint(blueprint)
    return app
