"""Flask-Eid: "Log in with VNeID" for Flask portals, secure by default.

>>> app = Flask(__name__)
>>> app.config.update(EID_ISSUER=..., EID_CLIENT_ID=..., EID_CLIENT_SECRET=...)
>>> eid = EidLogin(app)
>>> @app.get("/ct01")
... @login_required(acr="LoA2")
... def ct01(): return f"Xin chào {current_citizen().claims.get('name')}"

A thin adapter over :class:`eid.oidc.RelyingParty` in the Flask extension style:
``EidLogin(app)`` or ``init_app(app)``, state in ``app.extensions["eid_login"]``,
configuration through ``EID_``-prefixed keys. The Flask session (a signed
cookie) holds only a random session id and the pending login; tokens and
claims stay server-side in an :class:`~eid.storage.EphemeralStore`.
Logging out is a POST carrying the CSRF token of :mod:`flask_eid.csrf`
(template global ``eid_csrf_token()``, field ``eid_csrf_token``).
"""

from __future__ import annotations

from flask_eid.csrf import CSRF_FIELD, csrf_token, csrf_token_valid
from flask_eid.extension import EidLogin
from flask_eid.state import (
    ENDED_REASONS,
    SignedInCitizen,
    current_citizen,
    login_required,
    session_ended,
)

__all__ = [
    "CSRF_FIELD",
    "ENDED_REASONS",
    "EidLogin",
    "SignedInCitizen",
    "csrf_token",
    "csrf_token_valid",
    "current_citizen",
    "login_required",
    "session_ended",
]
