"""The allow-list of signature algorithms and how each one verifies.

Only asymmetric algorithms are listed, each tied to one key type (RFC 8725
§3.1: the header's ``alg`` never chooses the key type; HS* with a public key,
and ``none``, can therefore never verify). ``Ed25519`` is the fully-specified
name of EdDSA over Ed25519 (RFC 9864); ``EdDSA`` is its polymorphic name in
RFC 8037, accepted only with an Ed25519 key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eid.errors import TokenError

__all__ = ["ALGORITHMS", "Algorithm"]

# Order of the P-256 group (SEC 2 §2.4.2); r and s must lie in 1..n-1.
_P256_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_SHA256 = hashes.SHA256()
_PKCS1 = padding.PKCS1v15()
# RFC 7518 §3.5: the PSS salt is as long as the hash output.
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
_ECDSA = ec.ECDSA(_SHA256)


def _bad(reason: str) -> TokenError:
    return TokenError(f"signature is invalid: {reason}", code="bad_signature")


def _rsa_pkcs1(key: Any, size: int, sig: bytes, data: bytes) -> None:
    if len(sig) != size:  # RFC 8017 §8.2.2 step 1
        raise _bad("wrong length for the key")
    key.verify(sig, data, _PKCS1, _SHA256)


def _rsa_pss(key: Any, size: int, sig: bytes, data: bytes) -> None:
    if len(sig) != size:  # RFC 8017 §8.1.2 step 1
        raise _bad("wrong length for the key")
    key.verify(sig, data, _PSS, _SHA256)


def _es256(key: Any, size: int, sig: bytes, data: bytes) -> None:
    if len(sig) != 64:  # RFC 7518 §3.4: R || S, 32 octets each
        raise _bad("wrong length for ES256")
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if not (0 < r < _P256_N and 0 < s < _P256_N):  # SEC 1 §4.1.4 step 1
        raise _bad("r or s out of range")
    key.verify(encode_dss_signature(r, s), data, _ECDSA)


def _ed25519(key: Any, size: int, sig: bytes, data: bytes) -> None:
    if len(sig) != 64:  # RFC 8032 §5.1.7
        raise _bad("wrong length for Ed25519")
    key.verify(sig, data)


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One allowed ``alg``: the key it needs and how to check its signature."""

    name: str
    kty: str
    crv: str | None
    _check: Callable[[Any, int, bytes, bytes], None]
    #: Hash for ``at_hash``/``c_hash`` (OIDC Core 3.1.3.6, 3.3.2.11).
    half_hash: Callable[[bytes], Any]

    def verify(self, key: Any, key_size: int, signature: bytes, signing_input: bytes) -> None:
        """Check one signature.

        :raises TokenError: ``bad_signature``.
        """
        try:
            self._check(key, key_size, signature, signing_input)
        except InvalidSignature:
            raise _bad("does not match") from None


ALGORITHMS: Final[dict[str, Algorithm]] = {
    a.name: a
    for a in (
        Algorithm("RS256", "RSA", None, _rsa_pkcs1, hashlib.sha256),
        Algorithm("PS256", "RSA", None, _rsa_pss, hashlib.sha256),
        Algorithm("ES256", "EC", "P-256", _es256, hashlib.sha256),
        # OIDC Core 3.1.3.6 with RFC 8037: Ed25519 hashes with SHA-512.
        Algorithm("EdDSA", "OKP", "Ed25519", _ed25519, hashlib.sha512),
        Algorithm("Ed25519", "OKP", "Ed25519", _ed25519, hashlib.sha512),
    )
}
