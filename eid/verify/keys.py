"""Trusted public keys: JWK parsing (RFC 7517, RFC 7518 §6, RFC 8037) and key sets.

A key set is parsed once into ``cryptography`` objects and then only looked
up. Structural problems (private members, duplicate ``kid``, a malformed
member of a supported key) refuse the whole set: it is broken and should not
be half-trusted. Keys that are well-formed but not usable here (another
``use``, an unsupported type, a weak RSA modulus) are skipped and remembered,
so a token that names one gets a precise error instead of ``unknown_kid``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from eid.errors import KeySourceError, TokenError
from eid.verify._codec import b64url_decode
from eid.verify.algorithms import ALGORITHMS, Algorithm
from eid.verify.roca import has_roca_fingerprint

__all__ = ["KeySet", "PublicKey"]

# Members that only a private or secret key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MIN_RSA_BITS: Final = 2048
_EC_CURVES: Final = {"P-256": (ec.SECP256R1(), 32)}
_NAME: Final = re.compile(r"[\x20-\x7e]{1,256}").fullmatch


@dataclass(frozen=True, slots=True)
class PublicKey:
    """One usable verification key."""

    kid: str | None
    kty: str
    crv: str | None
    #: The JWK's own ``alg`` (RFC 7517 §4.4): when set, the only algorithm allowed.
    alg: str | None
    key: Any
    #: Signature length in octets for RSA (the modulus size); 0 otherwise.
    size: int

    def fits(self, alg: Algorithm) -> bool:
        """Whether this key may verify signatures made with ``alg``."""
        if self.kty != alg.kty or self.crv != alg.crv:
            return False
        if self.alg is None or self.alg == alg.name:
            return True
        # "EdDSA" (RFC 8037) and "Ed25519" (RFC 9864) name the same algorithm
        # on an Ed25519 key.
        return self.kty == "OKP" and {self.alg, alg.name} <= {"EdDSA", "Ed25519"}


class _Skip(Exception):
    pass


def _member(jwk: Mapping[str, Any], name: str, where: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeySourceError(f"{where}: member {name!r} is missing or not a string",
                             code="malformed_jwks")
    try:
        return b64url_decode(value, f"{where}.{name}")
    except TokenError:
        raise KeySourceError(f"{where}: member {name!r} is not base64url",
                             code="malformed_jwks") from None


def _rsa(jwk: Mapping[str, Any], where: str) -> tuple[Any, int]:
    n = int.from_bytes(_member(jwk, "n", where), "big")
    e = int.from_bytes(_member(jwk, "e", where), "big")
    if n.bit_length() < _MIN_RSA_BITS:
        raise _Skip(f"RSA modulus of {n.bit_length()} bits is below {_MIN_RSA_BITS}")
    if e <= 1 or e % 2 == 0 or e >= n:
        raise _Skip("RSA public exponent must be odd and greater than 1")
    if has_roca_fingerprint(n):
        raise _Skip("RSA modulus has the ROCA fingerprint (CVE-2017-15361)")
    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise KeySourceError(f"{where}: invalid RSA key: {exc}", code="malformed_jwks") from None
    return key, (n.bit_length() + 7) // 8


def _ec(jwk: Mapping[str, Any], where: str) -> tuple[Any, int]:
    curve = _EC_CURVES.get(jwk.get("crv"))  # type: ignore[arg-type]
    if curve is None:
        raise _Skip(f"unsupported EC curve {jwk.get('crv')!r}")
    x, y = _member(jwk, "x", where), _member(jwk, "y", where)
    if len(x) != curve[1] or len(y) != curve[1]:  # RFC 7518 §6.2.1.2
        raise KeySourceError(f"{where}: EC coordinates have the wrong length",
                             code="malformed_jwks")
    try:
        nums = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve[0])
        return nums.public_key(), 0
    except ValueError:
        raise KeySourceError(f"{where}: EC point is not on the curve",
                             code="malformed_jwks") from None


def _okp(jwk: Mapping[str, Any], where: str) -> tuple[Any, int]:
    if jwk.get("crv") != "Ed25519":
        raise _Skip(f"unsupported OKP curve {jwk.get('crv')!r}")
    x = _member(jwk, "x", where)
    if len(x) != 32:  # RFC 8037 §2
        raise KeySourceError(f"{where}: Ed25519 key must be 32 octets", code="malformed_jwks")
    try:
        return ed25519.Ed25519PublicKey.from_public_bytes(x), 0
    except ValueError:
        raise KeySourceError(f"{where}: invalid Ed25519 key", code="malformed_jwks") from None


_PARSERS: Final = {"RSA": _rsa, "EC": _ec, "OKP": _okp}


def _parse_key(jwk: Mapping[str, Any], where: str) -> PublicKey:
    kty = jwk.get("kty")
    if not isinstance(kty, str):
        raise KeySourceError(f"{where}: 'kty' is missing", code="malformed_jwks")
    use, ops, alg = jwk.get("use"), jwk.get("key_ops"), jwk.get("alg")
    if use is not None and use != "sig":  # RFC 7517 §4.2
        raise _Skip(f"use is {use!r}, not 'sig'")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):  # §4.3
        raise _Skip("key_ops does not allow 'verify'")
    if alg is not None and not isinstance(alg, str):
        raise KeySourceError(f"{where}: 'alg' is not a string", code="malformed_jwks")
    parser = _PARSERS.get(kty)
    if parser is None:
        raise _Skip(f"unsupported key type {kty!r}")
    if alg is not None and (alg not in ALGORITHMS or ALGORITHMS[alg].kty != kty):
        raise _Skip(f"key is restricted to algorithm {alg!r}, which is not allowed here")
    key, size = parser(jwk, where)
    crv = jwk.get("crv") if kty != "RSA" else None
    if alg is not None and ALGORITHMS[alg].crv != crv:
        raise _Skip(f"algorithm {alg!r} does not match curve {crv!r}")
    return PublicKey(jwk.get("kid"), kty, crv, alg, key, size)


class KeySet:
    """An immutable set of trusted verification keys, parsed once.

    Build it with :meth:`from_jwks`; pass it (or a key source) to the verifiers.
    """

    __slots__ = ("_by_kid", "_no_kid_for", "keys", "skipped")

    def __init__(self, keys: list[PublicKey], skipped: dict[str, str] | None = None) -> None:
        self.keys: tuple[PublicKey, ...] = tuple(keys)
        #: ``kid`` (or ``#index``) of each skipped key, with the reason.
        self.skipped: dict[str, str] = dict(skipped or {})
        self._by_kid = {k.kid: k for k in keys if k.kid is not None}
        self._no_kid_for: dict[str, tuple[PublicKey, ...]] = {
            name: tuple(k for k in keys if k.fits(a)) for name, a in ALGORITHMS.items()
        }

    @classmethod
    def from_jwks(cls, jwks: object) -> KeySet:
        """Parse a JWKS document (RFC 7517 §5).

        :raises KeySourceError: ``malformed_jwks`` for a document that is not a
            key set, ``private_key_in_jwks``, or ``duplicate_kid``.
        """
        if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
            raise KeySourceError("JWKS must be an object with a 'keys' array",
                                 code="malformed_jwks")
        keys: list[PublicKey] = []
        skipped: dict[str, str] = {}
        seen: set[str] = set()
        for i, jwk in enumerate(jwks["keys"]):
            where = f"keys[{i}]"
            if not isinstance(jwk, Mapping):
                raise KeySourceError(f"{where} is not an object", code="malformed_jwks")
            if _PRIVATE_MEMBERS & jwk.keys():
                raise KeySourceError(f"{where} holds private or secret key material",
                                     code="private_key_in_jwks")
            kid = jwk.get("kid")
            if kid is not None:
                if not isinstance(kid, str) or not _NAME(kid):
                    raise KeySourceError(f"{where}: 'kid' must be a short printable string",
                                         code="malformed_jwks")
                if kid in seen:
                    raise KeySourceError(f"duplicate kid {kid!r}", code="duplicate_kid")
                seen.add(kid)
            try:
                keys.append(_parse_key(jwk, where))
            except _Skip as why:
                skipped[kid if isinstance(kid, str) else f"#{i}"] = str(why)
        return cls(keys, skipped)

    def select(self, alg: Algorithm, kid: str | None) -> PublicKey:
        """The key that must verify a token with this ``alg`` and ``kid``.

        :raises TokenError: ``unknown_kid``, ``key_rejected``, ``key_mismatch``,
            ``no_matching_key`` or ``ambiguous_key``.
        """
        if kid is not None:
            key = self._by_kid.get(kid)
            if key is None:
                if kid in self.skipped:
                    raise TokenError(f"key {kid!r} is not trusted: {self.skipped[kid]}",
                                     code="key_rejected")
                raise TokenError(f"no key with kid {kid!r}", code="unknown_kid")
            if not key.fits(alg):
                raise TokenError(f"key {kid!r} may not verify {alg.name}", code="key_mismatch")
            return key
        # No kid: only unambiguous when exactly one key fits the algorithm.
        fits = self._no_kid_for[alg.name]
        if len(fits) == 1:
            return fits[0]
        if not fits:
            raise TokenError(f"no key fits {alg.name}", code="no_matching_key")
        raise TokenError(f"{len(fits)} keys fit {alg.name} and the token has no kid",
                         code="ambiguous_key")

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"KeySet({len(self.keys)} keys, {len(self.skipped)} skipped)"
