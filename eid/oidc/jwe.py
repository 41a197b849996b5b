"""Encrypting compact JWE for a client (the provider's side of :mod:`eid.verify.jwe`).

OIDC Core §10.2 and Registration §2: a client that registers
``id_token_encrypted_response_alg``/``_enc`` (or the userinfo pair) gets its
tokens signed first and then encrypted to its registered public key, with
``cty: JWT`` marking the nested token. joserfc does the cryptography; this
module checks the client's key as strictly as a portal checks its own
(RFC 8725 §3.4: a point on its curve; RSA of at least 2048 bits) and offers
only the algorithms the portal side can decrypt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from joserfc import jwe as _jwe
from joserfc import jwk as _jwk

from eid.errors import ConfigurationError
from eid.verify.jwe import SUPPORTED_ALG_VALUES, SUPPORTED_ENC_VALUES
from eid.verify.jwe_keys import EC_CURVES, KEY_ALG_FAMILIES

__all__ = ["encrypt_jwe", "encryption_jwk"]

_FAMILY_OF_KTY: Final = {"EC": "ECDH", "OKP": "ECDH", "RSA": "RSA"}
_OPS: Final = {"ECDH": {"deriveKey", "deriveBits"}, "RSA": {"encrypt", "wrapKey"}}
_MATERIAL: Final = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x"),
                    "RSA": ("kty", "n", "e")}
_PRIVATE: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MIN_RSA_BITS: Final = 2048


def _refuse(message: str) -> ConfigurationError:
    return ConfigurationError(message, code="invalid_encryption_key")


def _public_key(jwk: Mapping[str, Any], alg: str) -> Any:
    if not isinstance(jwk, Mapping):
        raise _refuse("the encryption key must be a JWK object")
    if _PRIVATE & jwk.keys():
        raise _refuse("the encryption key holds private key material")
    kty = str(jwk.get("kty"))
    family = _FAMILY_OF_KTY.get(kty)
    if family is None or family != KEY_ALG_FAMILIES[alg]:
        raise _refuse(f"a {kty!r} key cannot be used with {alg}")
    use, ops, key_alg = jwk.get("use"), jwk.get("key_ops"), jwk.get("alg")
    if use is not None and use != "enc":  # RFC 7517 §4.2
        raise _refuse(f"the key's use is {use!r}, not 'enc'")
    if ops is not None and (not isinstance(ops, list) or not _OPS[family] & set(ops)):
        raise _refuse("the key's key_ops allow no encryption")
    if key_alg is not None and key_alg != alg:  # RFC 7517 §4.4
        raise _refuse(f"the key is restricted to {key_alg!r}, not {alg}")
    crv = jwk.get("crv")
    if (kty == "EC" and crv not in EC_CURVES) or (kty == "OKP" and crv != "X25519"):
        raise _refuse(f"unsupported curve {crv!r}")
    try:
        key: Any = _jwk.import_key({n: jwk[n] for n in _MATERIAL[kty] if n in jwk}, kty)  # type: ignore[call-overload]
    except Exception as exc:  # joserfc raises several types for bad material
        raise _refuse(f"invalid {kty} public key: {exc}") from None
    if kty == "RSA" and key.public_key.key_size < _MIN_RSA_BITS:
        raise _refuse(f"RSA keys must have at least {_MIN_RSA_BITS} bits")
    return key


def encryption_jwk(jwks: Mapping[str, Any], alg: str) -> Mapping[str, Any]:
    """The key of a client's registered JWKS to encrypt to with ``alg``.

    The first key that passes every rule of :func:`encrypt_jwe` (so ``use: sig``
    keys and keys restricted to another ``alg`` are passed over); a client
    rotating its encryption key lists the new one first.

    :raises ConfigurationError: ``unsupported_jwe_algorithm``, or
        ``invalid_encryption_key`` when no key fits.
    """
    if alg not in SUPPORTED_ALG_VALUES:
        raise ConfigurationError(f"cannot encrypt with alg {alg!r}",
                                 code="unsupported_jwe_algorithm")
    members = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(members, list):
        raise _refuse("the client's JWKS has no 'keys' array")
    for jwk in members:
        try:
            _public_key(jwk, alg)
        except ConfigurationError:
            continue
        return dict(jwk)
    raise _refuse(f"the client registered no key that can take {alg}")


def encrypt_jwe(
    plaintext: bytes | str,
    public_jwk: Mapping[str, Any],
    *,
    alg: str,
    enc: str = "A256GCM",
    kid: str | None = None,
    cty: str | None = None,
    typ: str | None = None,
) -> str:
    """Encrypt ``plaintext`` to a client's public key as a compact JWE.

    For a signed-then-encrypted ID token or userinfo response pass the signed
    JWT as ``plaintext`` and ``cty="JWT"`` (OIDC Core §10.2, RFC 7519 §5.2).

    :param alg: key management: one of :data:`eid.verify.jwe.SUPPORTED_ALG_VALUES`.
    :param enc: content encryption: one of :data:`eid.verify.jwe.SUPPORTED_ENC_VALUES`.
    :param kid: the header's ``kid``; defaults to the key's own ``kid`` when it has one.
    :raises ConfigurationError: ``unsupported_jwe_algorithm`` or ``invalid_encryption_key``.
    """
    if alg not in SUPPORTED_ALG_VALUES or enc not in SUPPORTED_ENC_VALUES:
        raise ConfigurationError(f"cannot encrypt with alg {alg!r} and enc {enc!r}",
                                 code="unsupported_jwe_algorithm")
    key = _public_key(public_jwk, alg)
    header: dict[str, Any] = {"alg": alg, "enc": enc}
    kid = kid if kid is not None else public_jwk.get("kid")
    for name, value in (("kid", kid), ("cty", cty), ("typ", typ)):
        if value is not None:
            if not isinstance(value, str):
                raise ConfigurationError(f"{name} must be a string", code="invalid_jwe_header")
            header[name] = value
    registry = _jwe.JWERegistry(algorithms=[alg, enc])
    return _jwe.encrypt_compact(header, plaintext, key, registry=registry)
