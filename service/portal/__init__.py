"""A demo provincial public-service portal, built only on ``eid``'s public API.

It shows a portal developer's whole journey: "Log in with VNeID" through
:mod:`flask_eid`, forms prefilled with :mod:`eid.prefill` from the consented
data, and a paperless filing that keeps each value's provenance.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from eid.datafiles import data_path, read_json
from eid.oidc import HttpClient
from eid.oidc.credential_request import CredentialHttp
from eid.prefill import default_catalogue
from eid.storage import make_private_folder, prepare_private_file
from flask_eid import EidLogin
from service.portal.dossiers import DossierMaker
from service.portal.filings import FilingStore
from service.portal.procedures import load_procedures
from service.portal.settings import PortalSettings

__all__ = ["PortalSettings", "create_portal_app"]


def _secret_key(instance: Path) -> str:
    path = instance / "portal-secret-key"
    make_private_folder(instance)
    prepare_private_file(path)  # the session-signing key: owner-only, refused otherwise
    if not path.read_text().strip():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_portal_app(test_config: dict[str, Any] | None = None, *,
                      http: HttpClient | None = None,
                      settings: PortalSettings | None = None) -> Flask:
    """The portal app, configured by ``settings`` (:meth:`PortalSettings.from_env` by
    default): the login service it trusts, its client id and secret, its public URL,
    and an instance folder for its secret key, its credential holder key and the
    filings database; the receiving office its dossiers are addressed to.
    ``test_config`` adds or overrides Flask configuration keys.
    """
    settings = settings or PortalSettings.from_env()
    instance = settings.instance
    app = Flask(__name__, instance_path=str(instance.resolve()))
    app.config.update(
        EID_ISSUER=settings.issuer,
        EID_CLIENT_ID=settings.client_id,
        EID_CLIENT_SECRET=settings.client_secret,
        EID_PUBLIC_URL=settings.public_url,
        EID_SCOPES="openid profile",
        # flask_eid's landing: the citizen ends on "/" (a clean URL) told they signed out.
        EID_POST_LOGOUT_REDIRECT_URI=settings.public_url + "/auth/signed-out",
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
        make_private_folder(Path(app.config["FILINGS_DB"]).parent)  # citizens' filings
    # The credential requests go through the same seam as the login's HTTP when it can
    # POST JSON (tests pass one client for both), else through the strict stdlib one.
    dossiers = DossierMaker(
        issuer=app.config["EID_ISSUER"], client_id=app.config["EID_CLIENT_ID"],
        instance=Path(app.config.get("PORTAL_INSTANCE") or instance),
        scope=settings.credential_scope, office=settings.office_id,
        catalogue=default_catalogue(), http=http if isinstance(http, CredentialHttp) else None)
    app.extensions["portal"] = {
        "procedures": load_procedures(),
        "filings": FilingStore(app.config["FILINGS_DB"]),
        "text": read_json(data_path("service.portal", "translations.json")),
        "dossiers": dossiers,
    }
    from service.portal.views import blueprint, chosen_language, render_login_error

    EidLogin(app, http=http, on_error=render_login_error, locale_selector=chosen_language)
    app.register_blueprint(blueprint)
    return app
