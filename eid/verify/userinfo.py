"""Signed (and signed-then-encrypted) userinfo responses (OIDC Core §5.3.2).

A provider answers ``application/jwt`` when the client registered
``userinfo_signed_response_alg`` or ``userinfo_encrypted_response_alg``
(OIDC Registration §2). The JWT is verified with the provider's keys, like an
ID token, and must name this provider (``iss``) and this client (``aud``): §5.3.2
says it SHOULD carry both, and here they are required, so a response signed for
another client of the same provider is refused. An encrypted response must be
signed inside (``cty: JWT``): Registration §2 says it "will be signed then
encrypted", and an unsigned one would prove nothing about its author. Whether
``sub`` is the ID token's is the caller's check (§5.3.4), as for JSON userinfo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eid.errors import TokenError
from eid.verify._codec import json_object
from eid.verify.jwe import DEFAULT_MAX_JWE_SIZE
from eid.verify.jwe_keys import DecryptionKeys
from eid.verify.jws import Jwks, verify_jws
from eid.verify.nested import decrypt_nested_jwt

__all__ = ["verify_userinfo_jwt"]


def verify_userinfo_jwt(
    token: str | bytes, *, issuer: str, audience: str, jwks: Jwks,
    decryption_keys: DecryptionKeys | Mapping[str, Any] | None = None,
    max_size: int = DEFAULT_MAX_JWE_SIZE,
) -> dict[str, Any]:
    """The claims of a signed, or signed-then-encrypted, userinfo response.

    :param decryption_keys: the portal's private keys, for an encrypted response.
    :param max_size: cap on the response's length; larger than an ID token's, since
        userinfo carries every consented attribute (a household, a family).
    :raises TokenError: a code of :func:`verify_jws` (``jwe_not_supported`` for an
        encrypted response without ``decryption_keys``) or of
        :func:`decrypt_nested_jwt`; ``missing_claim``, ``invalid_issuer`` or
        ``invalid_audience``.
    :raises KeySourceError: the provider's key set is malformed or cannot be fetched.
    """
    if decryption_keys is not None and _is_compact_jwe(token):
        token = decrypt_nested_jwt(token, decryption_keys, max_size=max_size)
    _, payload = verify_jws(token, jwks, max_size=max_size)
    claims = json_object(payload, "payload")
    for name in ("iss", "aud"):
        if name not in claims:
            raise TokenError(f"signed userinfo lacks {name!r}", code="missing_claim")
    if claims["iss"] != issuer:
        raise TokenError("signed userinfo comes from another issuer", code="invalid_issuer")
    aud = claims["aud"]
    if not (aud == audience or (isinstance(aud, list) and audience in aud
                                and all(isinstance(a, str) for a in aud))):
        raise TokenError("signed userinfo is for another client", code="invalid_audience")
    return claims


def _is_compact_jwe(token: str | bytes) -> bool:
    dots = token.count(b".") if isinstance(token, (bytes, bytearray)) else (
        token.count(".") if isinstance(token, str) else 0)
    return dots == 4
