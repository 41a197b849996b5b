"""OpenID Connect protocol logic shared by the provider and the relying party.

Framework-free: PKCE, registered clients, pairwise subjects and the
provider's key store. The login service (``service/``) wires these to HTTP.
"""

from __future__ import annotations

from eid.oidc.clients import AUTH_METHODS, Client, ClientRegistry, hash_client_secret, load_clients
from eid.oidc.keystore import DEFAULT_ALGS, KeyStore
from eid.oidc.pkce import check_challenge, make_pkce, s256, verify_pkce
from eid.oidc.subjects import pairwise_subject

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_ALGS",
    "Client",
    "ClientRegistry",
    "KeyStore",
    "check_challenge",
    "hash_client_secret",
    "load_clients",
    "make_pkce",
    "pairwise_subject",
    "s256",
    "verify_pkce",
]
