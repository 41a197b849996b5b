"""Signing compact JWS tokens (the issuer's side of :mod:`eid.verify`).

Used by the login service's key store, the testing kit and the demo. Keys are
private JWKs (RFC 7517) loaded into ``cryptography`` objects once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from eid.datafiles import read_text
from eid.errors import ConfigurationError, KeySourceError, TokenError
from eid.verify._codec import b64url_decode, b64url_encode

__all__ = [
    "SigningKey",
    "load_signing_keys",
    "private_jwk",
    "public_jwks",
    "sign_segments",
    "sign_token",
]

_PUBLIC_MEMBERS: Final = {
    "RSA": ("kty", "n", "e"),
    "EC": ("kty", "crv", "x", "y"),
    "OKP": ("kty", "crv", "x"),
}
_DEFAULT_ALG: Final = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}
_ALGS_FOR: Final = {"RSA": ("RS256", "PS256"), "EC": ("ES256",), "OKP": ("EdDSA", "Ed25519")}


def _int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeySourceError(f"private JWK lacks {name!r}", code="malformed_jwk")
    try:
        return int.from_bytes(b64url_decode(value, name), "big")
    except TokenError:
        raise KeySourceError(f"private JWK member {name!r} is not base64url",
                             code="malformed_jwk") from None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private signing key with its ``kid`` and default algorithm."""

    kid: str
    kty: str
    alg: str
    key: Any
    public_jwk: dict[str, str]

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], *, alg: str | None = None) -> SigningKey:
        """Load a private JWK (RSA, EC P-256 or OKP Ed25519).

        :raises KeySourceError: ``malformed_jwk`` when a member is missing or invalid.
        :raises ConfigurationError: ``invalid_argument`` for an algorithm the key can't do.
        """
        kty, kid = jwk.get("kty"), jwk.get("kid")
        if kty not in _PUBLIC_MEMBERS or not isinstance(kid, str) or not kid:
            raise KeySourceError("a signing JWK needs a supported kty and a kid",
                                 code="malformed_jwk")
        chosen = alg or jwk.get("alg") or _DEFAULT_ALG[kty]
        if chosen not in _ALGS_FOR[kty]:
            raise ConfigurationError(f"a {kty} key cannot sign {chosen}", code="invalid_argument")
        try:
            if kty == "RSA":
                n, e = _int(jwk, "n"), _int(jwk, "e")
                public = rsa.RSAPublicNumbers(e, n)
                key: Any = rsa.RSAPrivateNumbers(
                    _int(jwk, "p"), _int(jwk, "q"), _int(jwk, "d"), _int(jwk, "dp"),
                    _int(jwk, "dq"), _int(jwk, "qi"), public).private_key()
            elif kty == "EC":
                if jwk.get("crv") != "P-256":
                    raise KeySourceError("only P-256 EC keys sign here", code="malformed_jwk")
                key = ec.derive_private_key(_int(jwk, "d"), ec.SECP256R1())
            else:
                if jwk.get("crv") != "Ed25519":
                    raise KeySourceError("only Ed25519 OKP keys sign here", code="malformed_jwk")
                d = _int(jwk, "d").to_bytes(32, "big")
                key = ed25519.Ed25519PrivateKey.from_private_bytes(d)
        except ValueError as exc:
            raise KeySourceError(f"invalid private JWK: {exc}", code="malformed_jwk") from None
        public_jwk = {m: str(jwk[m]) for m in _PUBLIC_MEMBERS[kty]}
        public_jwk.update(kid=kid, use="sig", alg=chosen)
        return cls(kid, str(kty), str(chosen), key, public_jwk)

    @classmethod
    def generate(cls, alg: str, kid: str) -> tuple[SigningKey, dict[str, str]]:
        """A fresh key for ``alg`` (RSA keys are 3072 bits) and its private JWK.

        :raises ConfigurationError: ``invalid_argument`` for an unsupported algorithm.
        """
        if alg in ("RS256", "PS256"):
            key: Any = rsa.generate_private_key(65537, 3072)
        elif alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif alg in ("EdDSA", "Ed25519"):
            key = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ConfigurationError(f"cannot generate a key for {alg!r}", code="invalid_argument")
        jwk = private_jwk(key)
        jwk.update(kid=kid, alg=alg, use="sig")
        return cls.from_jwk(jwk), jwk

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with this key's algorithm (JWS encoding of the signature)."""
        if self.alg == "RS256":
            return bytes(self.key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
        if self.alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            return bytes(self.key.sign(data, pss, hashes.SHA256()))
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")  # RFC 7518 §3.4
        return bytes(self.key.sign(data))


def _b64int(n: int, size: int | None = None) -> str:
    return b64url_encode(n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big"))


def private_jwk(key: Any) -> dict[str, str]:
    """The private JWK (RFC 7518 §6, RFC 8037 §2) of a ``cryptography`` private key."""
    if isinstance(key, rsa.RSAPrivateKey):
        priv = key.private_numbers()
        pub = priv.public_numbers
        return {"kty": "RSA", "n": _b64int(pub.n), "e": _b64int(pub.e), "d": _b64int(priv.d),
                "p": _b64int(priv.p), "q": _b64int(priv.q), "dp": _b64int(priv.dmp1),
                "dq": _b64int(priv.dmq1), "qi": _b64int(priv.iqmp)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        nums = key.private_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64int(nums.public_numbers.x, 32),
                "y": _b64int(nums.public_numbers.y, 32), "d": _b64int(nums.private_value, 32)}
    if isinstance(key, ed25519.Ed25519PrivateKey):
        from cryptography.hazmat.primitives import serialization as ser

        raw = key.private_bytes(ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
        pub_raw = key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(pub_raw),
                "d": b64url_encode(raw)}
    raise ConfigurationError(f"unsupported key type {type(key).__name__}",
                             code="invalid_argument")


def sign_segments(header_b64: str, payload_b64: str, key: SigningKey) -> str:
    """Sign already-encoded segments as they are (tests build odd tokens with it)."""
    signing_input = f"{header_b64}.{payload_b64}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def sign_token(
    claims: Mapping[str, Any], key: SigningKey, *, typ: str | None = "JWT",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``claims`` as a compact JWS with header ``alg``, ``kid`` and ``typ``."""
    header: dict[str, Any] = {"alg": key.alg, "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    header.update(headers or {})
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    return sign_segments(
        b64url_encode(encode(header).encode("utf-8")),
        b64url_encode(encode(dict(claims)).encode("utf-8")),
        key,
    )


def load_signing_keys(path: str | Path) -> dict[str, SigningKey]:
    """Load a file of private JWKs (``{"keys": [...]}``), indexed by ``kid``.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: ``bad_encoding``, the file is not UTF-8.
    :raises KeySourceError: the file is not a JSON key set or a key is malformed.
    """
    text = read_text(path)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise KeySourceError(f"{path}: cannot read key file: {exc}", code="malformed_jwks") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise KeySourceError(f"{path}: expected an object with a 'keys' array",
                             code="malformed_jwks")
    keys = [SigningKey.from_jwk(jwk) for jwk in doc["keys"]]
    return {k.kid: k for k in keys}


def public_jwks(keys: Mapping[str, SigningKey] | list[SigningKey]) -> dict[str, Any]:
    """The JWKS (public members only) that verifies tokens signed by ``keys``."""
    values = keys.values() if isinstance(keys, Mapping) else keys
    return {"keys": [dict(k.public_jwk) for k in values]}
