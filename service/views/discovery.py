"""Discovery (OpenID Connect Discovery 1.0 §3) and the JWKS it names.

Every advertised value is true of this provider; the tests check each one
against the behaviour.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from eid.oidc import DPOP_ALGS
from eid.oidc.client_assertion import ASSERTION_ALGS
from eid.oidc.clients import (
    AUTH_METHODS,
    AUTHORIZATION_DETAILS_TYPES,
    ENCRYPTION_ALG_VALUES,
    ENCRYPTION_ENC_VALUES,
)
from eid.oidc.keystore import JWKS_MAX_AGE
from eid.verify import ACR_LEVELS
from service.i18n import LANGS
from service.provider import OFFLINE_ACCESS, Provider, provider
from service.public import public

__all__ = ["bp", "metadata"]

bp = Blueprint("discovery", __name__)

# Claims of the ID token itself, besides the catalogue's attribute claims.
_TOKEN_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid",
                 "at_hash")
# The max-age that eid.oidc.keystore's delay arithmetic assumes: a portal holds a
# fetched JWKS at most this long (twice through a shared cache), so a key published
# MIN_SAFE_DELAY before it signs is in every cache first.
_CACHE = f"public, max-age={JWKS_MAX_AGE}"


def metadata(p: Provider) -> dict[str, Any]:
    """The provider's metadata document."""
    base = p.issuer
    catalogue_claims = [a.claim for a in p.catalogue.attributes.values()]
    # RFC 8414 §2: named only when registration is enabled (test mode or a token).
    registration = {"registration_endpoint": f"{base}/register"} if p.registration else {}
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks",
        "revocation_endpoint": f"{base}/revoke",
        "introspection_endpoint": f"{base}/introspect",
        "end_session_endpoint": f"{base}/end-session",
        # Back-Channel Logout 1.0 §2.1: logout tokens always carry sid (service.backchannel).
        # RFC 9396 §10: the one type this provider defines (eid.oidc.authorization_details).
        "authorization_details_types_supported": list(AUTHORIZATION_DETAILS_TYPES),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "scopes_supported": [*p.catalogue.scopes, OFFLINE_ACCESS],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "pushed_authorization_request_endpoint": f"{base}/par",
        # RFC 9126 §5: global; a client's own requirement is its client metadata.
        "require_pushed_authorization_requests": False,
        # The same methods everywhere a client authenticates (service.client_auth).
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(p.keys.algorithms),
        # Signed and encrypted responses (OIDC Registration §2, service/protected.py).
        "id_token_encryption_alg_values_supported": list(ENCRYPTION_ALG_VALUES),
        "id_token_encryption_enc_values_supported": list(ENCRYPTION_ENC_VALUES),
        "userinfo_signing_alg_values_supported": list(p.keys.algorithms),
        "userinfo_encryption_alg_values_supported": list(ENCRYPTION_ALG_VALUES),
        "userinfo_encryption_enc_values_supported": list(ENCRYPTION_ENC_VALUES),
        "acr_values_supported": list(ACR_LEVELS),
        "claims_supported": list(dict.fromkeys([*_TOKEN_CLAIMS, *catalogue_claims])),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "ui_locales_supported": list(LANGS),
        "display_values_supported": ["page", "popup"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        # RFC 9449 §5.1; FAPI 2.0 §5.4.1 for the list.
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),
        # The data-access log (issue 14, service.views.transparency), under a name of this
        # project's so no registered metadata is redefined: checkpoints and proofs.
        "eid_transparency_log": {
            "checkpoint_uri": f"{base}/transparency/checkpoint",
            "verifier_key_uri": f"{base}/transparency/key",
            "inclusion_proof_endpoint": f"{base}/transparency/inclusion",
            "consistency_proof_endpoint": f"{base}/transparency/consistency",
        },
        **registration,
    }


@bp.get("/.well-known/openid-configuration")
def configuration() -> ResponseReturnValue:
    return public(jsonify(metadata(provider())), _CACHE)


@bp.get("/jwks")
def jwks() -> ResponseReturnValue:
    return public(jsonify(provider().keys.jwks()), _CACHE)
