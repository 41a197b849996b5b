"""OpenID Connect protocol logic shared by the provider and the relying party.

Framework-free. For portals: :class:`RelyingParty` (the code flow with PKCE,
state, nonce, ``iss`` checks, ID-token verification, userinfo, refresh,
revocation, logout) and the one rule for ``next=`` paths
(:func:`safe_local_path`). For the provider: PKCE checks, registered clients,
pairwise subjects, DPoP proofs and nonces, the key store and dynamic client
registration (RFC 7591), which the login service wires to HTTP.
"""

from __future__ import annotations

from eid.oidc.authorization_details import (
    VN_PROCEDURE,
    ProcedureDetail,
    parse_authorization_details,
    procedure_request,
)
from eid.oidc.clients import (
    AUTH_METHODS,
    SECRET_AUTH_METHODS,
    Client,
    ClientRegistry,
    client_from_metadata,
    hash_client_secret,
    load_clients,
)
from eid.oidc.discovery import ProviderMetadata
from eid.oidc.dpop import DpopKey
from eid.oidc.dpop_nonce import DpopNonces
from eid.oidc.dpop_proof import DPOP_ALGS, DpopProof, jwk_thumbprint, verify_dpop_proof
from eid.oidc.http import HttpClient, HttpResponse, StdlibHttpClient
from eid.oidc.jwe import encrypt_jwe, encryption_jwk
from eid.oidc.keystore import (
    DEFAULT_ACTIVATION_DELAY,
    DEFAULT_ALGS,
    JWKS_MAX_AGE,
    MIN_SAFE_DELAY,
    KeyState,
    KeyStore,
    key_states,
)
from eid.oidc.local_path import quote_path, safe_local_path
from eid.oidc.locales import first_supported, language_tags
from eid.oidc.pkce import check_challenge, make_pkce, s256, verify_pkce
from eid.oidc.registration import RegisteredClients, RegistrationPolicy
from eid.oidc.rp import RelyingParty
from eid.oidc.session import LoginResult, PendingLogin, TokenSet
from eid.oidc.subjects import pairwise_subject

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_ACTIVATION_DELAY",
    "DEFAULT_ALGS",
    "DPOP_ALGS",
    "JWKS_MAX_AGE",
    "MIN_SAFE_DELAY",
    "SECRET_AUTH_METHODS",
    "VN_PROCEDURE",
    "Client",
    "ClientRegistry",
    "DpopKey",
    "DpopNonces",
    "DpopProof",
    "HttpClient",
    "HttpResponse",
    "KeyState",
    "KeyStore",
    "LoginResult",
    "PendingLogin",
    "ProcedureDetail",
    "ProviderMetadata",
    "RegisteredClients",
    "RegistrationPolicy",
    "RelyingParty",
    "StdlibHttpClient",
    "TokenSet",
    "check_challenge",
    "client_from_metadata",
    "encrypt_jwe",
    "encryption_jwk",
    "first_supported",
    "hash_client_secret",
    "jwk_thumbprint",
    "key_states",
    "language_tags",
    "load_clients",
    "make_pkce",
    "pairwise_subject",
    "parse_authorization_details",
    "procedure_request",
    "quote_path",
    "s256",
    "safe_local_path",
    "verify_dpop_proof",
    "verify_pkce",
]
