"""A tiny procedure portal: "Log in with VNeID" through ``flask_eid``, one level-2 page.

Run it against a mock login service (see ``examples/README.md``)::

    eid mock --port 5000 --redirect-uri http://127.0.0.1:5001/auth/callback
    EID_ISSUER=http://127.0.0.1:5000 flask --app examples.portal.app run --port 5001
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from markupsafe import escape

from eid.verify import Jwks, verify_id_token
from flask_eid import EidLogin, csrf_token, current_citizen, login_required

__all__ = ["REQUIRED_ACR", "check_id_token", "create_app"]

#: Decree 69/2024: registering a permanent residence needs a level-2 account.
REQUIRED_ACR = "LoA2"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The portal; ``test_config`` overrides the configuration (tests pass the mock's URL)."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("PORTAL_SECRET_KEY", "dev-only-not-secret"),
        EID_ISSUER=os.environ.get("EID_ISSUER", "http://127.0.0.1:5000"),
        # The mock's test client (service/README.md "Test mode"); a real portal gets its own.
        EID_CLIENT_ID="eid-test-client",
        EID_CLIENT_SECRET="eid-test-secret",  # noqa: S106 - published test secret
        EID_REDIRECT_URI=os.environ.get("EID_REDIRECT_URI",
                                        "http://127.0.0.1:5001/auth/callback"),
        EID_SCOPES="openid profile",
    )
    app.config.update(test_config or {})
    EidLogin(app)

    @app.get("/")
    def index() -> str:
        return '<h1>Cổng dịch vụ công</h1><a href="/residence">Đăng ký thường trú</a>'

    @app.get("/residence")
    @login_required(acr=REQUIRED_ACR)
    def residence() -> str:
        citizen = current_citizen()
        assert citizen is not None  # noqa: S101 - login_required let us in
        name = escape(citizen.claims.get("name", ""))
        # Logging out is a POST carrying flask_eid's CSRF token (in a Jinja template:
        # value="{{ eid_csrf_token() }}").
        return (f'<h1>Đăng ký thường trú</h1><p id="citizen-name">{name}</p>'
                f'<p id="level">{escape(citizen.acr or "")}</p>'
                '<form method="post" action="/auth/logout">'
                f'<input type="hidden" name="eid_csrf_token" value="{escape(csrf_token())}">'
                '<button>Đăng xuất</button></form>')

    return app


def check_id_token(token: str, *, issuer: str, client_id: str, keys: Jwks) -> dict[str, Any]:
    """The portal's back office re-checks an ID token forwarded with a filing: this
    provider, this portal, level 2.

    :raises TokenError: the token is not one to accept (its ``code`` says why).
    """
    return dict(verify_id_token(token, issuer=issuer, audience=client_id, jwks=keys,
                                min_acr=REQUIRED_ACR))
