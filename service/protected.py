"""Signed and encrypted responses for clients that register them (OIDC Registration §2).

OIDC Core §10.2 and §5.3.2: a provider signs first and then encrypts, so the
client learns from the signature who issued the token and from the encryption
that nobody else read it; the outer JWE says ``cty: JWT`` (RFC 7519 §5.2) and
names the client's key by its ``kid``. The client's key was checked when the
client was loaded (:mod:`eid.oidc.clients`), so encryption here cannot fail on
registered data.
"""

from __future__ import annotations

from typing import Any

from eid.oidc.clients import Client
from eid.oidc.jwe import encrypt_jwe, encryption_jwk
from eid.signing import sign_token
from service.provider import Provider

__all__ = ["encrypt_for", "userinfo_jwt"]


def encrypt_for(client: Client, encryption: tuple[str, str], signed: str) -> str:
    """``signed`` (a JWS) encrypted to the client's registered key as a nested JWT."""
    assert client.jwks is not None  # noqa: S101 - the client loader demands it
    alg, enc = encryption
    return encrypt_jwe(signed, encryption_jwk(client.jwks, alg), alg=alg, enc=enc, cty="JWT")


def userinfo_jwt(p: Provider, client: Client, claims: dict[str, Any]) -> str | None:
    """The userinfo response as a JWT, or ``None`` when the client takes plain JSON.

    OIDC Core §5.3.2: a signed response carries ``iss`` and ``aud``. The response
    may be encrypted without a signature (§5.3.2), but Registration §2 says an
    encrypted response "will be signed then encrypted": it is signed here always,
    with ``userinfo_signed_response_alg`` or else the client's ID token algorithm,
    so the portal verifies userinfo as it verifies the ID token.
    """
    if client.userinfo_signed_alg is None and client.userinfo_encryption is None:
        return None
    key = p.keys.signing_key(client.userinfo_signed_alg or client.id_token_alg)
    body = {**claims, "iss": p.issuer, "aud": client.client_id, "iat": int(p.now())}
    signed = sign_token(body, key)
    if client.userinfo_encryption is None:
        return signed
    return encrypt_for(client, client.userinfo_encryption, signed)
