"""Signed-then-encrypted tokens: decrypt the JWE, then verify the JWS inside.

OIDC Core §10.2 (and §5.3.2 for userinfo): a provider that encrypts signs
first, then encrypts, and marks the nested token with ``cty: JWT``
(RFC 7519 §5.2). Decryption only proves the token was meant for this portal;
who issued it is proven by the inner signature, so the inner token goes
through the same checks as an unencrypted one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eid.errors import TokenError
from eid.verify.claims import IdTokenClaims
from eid.verify.idtoken import verify_id_token
from eid.verify.jwe import (
    DEFAULT_ALG_VALUES,
    DEFAULT_ENC_VALUES,
    DEFAULT_MAX_JWE_SIZE,
    decrypt_jwe,
)
from eid.verify.jwe_keys import DecryptionKeys
from eid.verify.jws import _is_jwt_media_type

__all__ = ["decrypt_nested_jwt", "verify_encrypted_id_token"]


def decrypt_nested_jwt(
    token: str | bytes,
    keys: DecryptionKeys | Mapping[str, Any],
    *,
    alg_values: Collection[str] = DEFAULT_ALG_VALUES,
    enc_values: Collection[str] = DEFAULT_ENC_VALUES,
    max_size: int = DEFAULT_MAX_JWE_SIZE,
) -> str:
    """Decrypt a JWE whose content is a JWT (``cty: JWT``) and return that inner JWT.

    The result is *not* verified: pass it to :func:`verify_id_token`,
    :func:`verify_jws` or another verifier.

    :raises TokenError: any code of :func:`decrypt_jwe`, or ``jwe_not_nested``
        when the header does not say ``cty: JWT`` or the content is not ASCII.
    """
    header, plaintext = decrypt_jwe(token, keys, alg_values=alg_values,
                                    enc_values=enc_values, max_size=max_size)
    if not _is_jwt_media_type(header.get("cty")):
        raise TokenError("the encrypted content is not a JWT (cty must be JWT)",
                         code="jwe_not_nested")
    try:
        return plaintext.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError("the encrypted JWT is not ASCII", code="jwe_not_nested") from None


def verify_encrypted_id_token(
    token: str | bytes,
    *,
    decryption_keys: DecryptionKeys | Mapping[str, Any],
    alg_values: Collection[str] = DEFAULT_ALG_VALUES,
    enc_values: Collection[str] = DEFAULT_ENC_VALUES,
    **checks: Any,
) -> IdTokenClaims:
    """Decrypt a signed-then-encrypted ID token and verify it like any other.

    :param decryption_keys: the portal's private encryption keys.
    :param checks: the keywords of :func:`verify_id_token` (``issuer``,
        ``audience``, ``jwks``, ``nonce``, ``min_acr``, ``now``...).
    :raises TokenError: a code of :func:`decrypt_nested_jwt` or of :func:`verify_id_token`.
    :raises KeySourceError: the provider's key set is malformed or cannot be fetched.
    """
    inner = decrypt_nested_jwt(token, decryption_keys, alg_values=alg_values,
                               enc_values=enc_values)
    return verify_id_token(inner, **checks)
