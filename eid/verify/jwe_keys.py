"""A portal's own decryption keys (private JWKs, RFC 7517 / RFC 7518 §6 / RFC 8037).

They come only from the caller, never from a token. A set is parsed once;
keys that are well-formed but not for decryption here (``use: sig``, an
``oct`` or Ed25519 key, RSA under 2048 bits, a public key) are skipped with
the reason, so one JWKS holding a portal's signing and encryption keys works.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, x25519
from joserfc import jwk as _jwk

from eid.errors import ConfigurationError, TokenError
from eid.verify._codec import b64url_decode

__all__ = ["EC_CURVES", "KEY_ALG_FAMILIES", "DecryptionKey", "DecryptionKeys"]

#: Key management algorithm -> the key family that performs it.
KEY_ALG_FAMILIES: Final = {
    "ECDH-ES": "ECDH", "ECDH-ES+A128KW": "ECDH", "ECDH-ES+A192KW": "ECDH",
    "ECDH-ES+A256KW": "ECDH", "RSA-OAEP-256": "RSA", "RSA-OAEP": "RSA",
}
#: NIST curves for ECDH-ES with their coordinate length (RFC 7518 §6.2.1.2).
EC_CURVES: Final[dict[str, tuple[type[ec.EllipticCurve], int]]] = {
    "P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66),
}
_FAMILY_OF_KTY: Final = {"EC": "ECDH", "OKP": "ECDH", "RSA": "RSA"}
# RFC 7517 §4.3: the operations that let a key take part in each family.
_OPS: Final = {"ECDH": {"deriveKey", "deriveBits"}, "RSA": {"decrypt", "unwrapKey"}}
_MATERIAL: Final = {"EC": ("kty", "crv", "x", "y", "d"), "OKP": ("kty", "crv", "x", "d"),
                    "RSA": ("kty", "n", "e", "d", "p", "q", "dp", "dq", "qi")}
_PRIVATE: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MIN_RSA_BITS: Final = 2048
_NAME: Final = re.compile(r"[\x20-\x7e]{1,256}").fullmatch


class _Skip(Exception):
    pass


@dataclass(frozen=True, slots=True)
class DecryptionKey:
    """One private key usable for JWE key management."""

    kid: str | None
    kty: str
    crv: str | None
    #: The JWK's own ``alg`` (RFC 7517 §4.4): when set, the only algorithm allowed.
    alg: str | None
    #: The key as joserfc holds it (it performs the decryption).
    jose_key: Any

    def fits(self, alg: str, curve: str | None) -> bool:
        """Whether this key may decrypt a JWE with ``alg`` (and an epk on ``curve``)."""
        if _FAMILY_OF_KTY[self.kty] != KEY_ALG_FAMILIES.get(alg):
            return False
        if curve is not None and curve != self.crv:
            return False
        return self.alg is None or self.alg == alg

    def check_peer(self, epk: Mapping[str, Any]) -> None:
        """Check an ephemeral public key against this key's curve (RFC 8725 §3.4).

        :raises ValueError: the point is malformed, of another curve or not on it.
        """
        if _PRIVATE & epk.keys():
            raise ValueError("it holds private key material")
        if epk.get("crv") != self.crv:
            raise ValueError("it is on another curve than the recipient's key")
        if self.kty == "OKP":
            x = _coordinate(epk, "x", 32)
            # A low-order point gives an all-zero secret; cryptography refuses it.
            self.jose_key.private_key.exchange(x25519.X25519PublicKey.from_public_bytes(x))
            return
        curve, size = EC_CURVES[str(self.crv)]
        x, y = _coordinate(epk, "x", size), _coordinate(epk, "y", size)
        # from_encoded_point checks that the point lies on the curve.
        ec.EllipticCurvePublicKey.from_encoded_point(curve(), b"\x04" + x + y)


def _coordinate(epk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = epk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name!r} is missing")
    try:
        raw = b64url_decode(value, f"epk.{name}")
    except TokenError:
        raise ValueError(f"{name!r} is not canonical base64url") from None
    if len(raw) != size:
        raise ValueError(f"{name!r} must be {size} octets")
    return raw


def _policy(jwk: Mapping[str, Any], kty: str) -> tuple[str | None, str | None]:
    family = _FAMILY_OF_KTY.get(kty)
    if family is None:
        raise _Skip(f"key type {kty!r} does not decrypt here")
    use, ops, alg = jwk.get("use"), jwk.get("key_ops"), jwk.get("alg")
    if use is not None and use != "enc":  # RFC 7517 §4.2
        raise _Skip(f"use is {use!r}, not 'enc'")
    if ops is not None and (not isinstance(ops, list) or not _OPS[family] & set(ops)):
        raise _Skip("key_ops allows no decryption")
    if alg is not None and KEY_ALG_FAMILIES.get(alg) != family:
        raise _Skip(f"key is restricted to algorithm {alg!r}, which does not decrypt here")
    crv = jwk.get("crv") if kty != "RSA" else None
    if kty == "EC" and crv not in EC_CURVES:
        raise _Skip(f"unsupported EC curve {crv!r}")
    if kty == "OKP" and crv != "X25519":
        raise _Skip(f"unsupported OKP curve {crv!r}")
    if "d" not in jwk:
        raise _Skip("a public key cannot decrypt")
    return crv, alg


def _parse(jwk: Mapping[str, Any], where: str) -> DecryptionKey:
    kty = jwk.get("kty")
    if not isinstance(kty, str):
        raise ConfigurationError(f"{where}: 'kty' is missing", code="invalid_decryption_key")
    crv, alg = _policy(jwk, kty)
    material = {name: jwk[name] for name in _MATERIAL[kty] if name in jwk}
    try:
        key = _jwk.import_key(material, kty)  # type: ignore[call-overload]
    except Exception as exc:  # joserfc raises several types for bad material
        raise ConfigurationError(f"{where}: invalid {kty} private key: {exc}",
                                 code="invalid_decryption_key") from None
    if kty == "RSA" and key.private_key.key_size < _MIN_RSA_BITS:
        raise _Skip(f"RSA modulus below {_MIN_RSA_BITS} bits")
    kid = jwk.get("kid")
    return DecryptionKey(kid, kty, crv, alg, key)


class DecryptionKeys:
    """An immutable set of the caller's private decryption keys, parsed once."""

    __slots__ = ("_by_kid", "keys", "skipped")

    def __init__(self, keys: list[DecryptionKey], skipped: dict[str, str] | None = None) -> None:
        self.keys: tuple[DecryptionKey, ...] = tuple(keys)
        #: ``kid`` (or ``#index``) of each skipped key, with the reason.
        self.skipped: dict[str, str] = dict(skipped or {})
        self._by_kid = {k.kid: k for k in keys if k.kid is not None}

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> DecryptionKeys:
        """Parse a private JWKS (``{"keys": [...]}``) or a single private JWK.

        :raises ConfigurationError: ``invalid_decryption_key`` for a malformed set or
            key, a duplicate ``kid``, or a set with no usable decryption key.
        """
        if not isinstance(jwks, Mapping):
            raise ConfigurationError("decryption keys must be a JWK or a JWKS object",
                                     code="invalid_decryption_key")
        members = jwks.get("keys", [jwks]) if "kty" not in jwks else [jwks]
        if not isinstance(members, list):
            raise ConfigurationError("JWKS 'keys' must be an array", code="invalid_decryption_key")
        keys: list[DecryptionKey] = []
        skipped: dict[str, str] = {}
        for i, jwk in enumerate(members):
            where = f"keys[{i}]"
            if not isinstance(jwk, Mapping):
                raise ConfigurationError(f"{where} is not an object", code="invalid_decryption_key")
            kid = jwk.get("kid")
            if kid is not None and (not isinstance(kid, str) or not _NAME(kid)):
                raise ConfigurationError(f"{where}: 'kid' must be a short printable string",
                                         code="invalid_decryption_key")
            if kid is not None and (kid in skipped or any(k.kid == kid for k in keys)):
                raise ConfigurationError(f"duplicate kid {kid!r}", code="invalid_decryption_key")
            try:
                keys.append(_parse(jwk, where))
            except _Skip as why:
                skipped[kid if isinstance(kid, str) else f"#{i}"] = str(why)
        if not keys:
            raise ConfigurationError(f"no usable decryption key (skipped: {skipped})",
                                     code="invalid_decryption_key")
        return cls(keys, skipped)

    def select(self, alg: str, kid: str | None, curve: str | None) -> DecryptionKey:
        """The key that must decrypt a JWE with this ``alg`` and ``kid`` (or, without
        a ``kid``, the one key that fits ``alg`` and the epk's ``curve``).

        :raises TokenError: ``jwe_key_not_found`` or ``ambiguous_key``.
        """
        if kid is not None:
            key = self._by_kid.get(kid)
            if key is None:
                why = f": {self.skipped[kid]}" if kid in self.skipped else ""
                raise TokenError(f"no decryption key with kid {kid!r}{why}",
                                 code="jwe_key_not_found")
            # The epk's curve is checked against the named key afterwards
            # (check_peer), which says more than "not found".
            if not key.fits(alg, None):
                raise TokenError(f"key {kid!r} may not decrypt {alg}", code="jwe_key_not_found")
            return key
        # OIDC Core §10.2: with several keys the provider names one by kid.
        fits = [k for k in self.keys if k.fits(alg, curve)]
        if len(fits) == 1:
            return fits[0]
        if not fits:
            raise TokenError(f"no decryption key fits {alg}", code="jwe_key_not_found")
        raise TokenError(f"{len(fits)} keys fit {alg} and the token has no kid",
                         code="ambiguous_key")
