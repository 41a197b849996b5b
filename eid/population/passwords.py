"""Password hashes for e-ID accounts: scrypt, stored as one self-describing string.

Format: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` (unpadded URL-safe
base64). Carrying the cost parameters in the string lets the cost rise later
without invalidating stored hashes. scrypt (RFC 7914) is memory-hard, so a
stolen fixture or generated registry is slow to brute-force.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from eid.errors import ConfigurationError, PopulationError

__all__ = ["hash_password", "is_password_hash", "verify_password"]

# RFC 7914 section 2 suggests N=2^14, r=8, p=1 for interactive logins (16 MiB, ~50 ms).
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(
    password: str,
    *,
    salt: bytes | None = None,
    n: int = DEFAULT_N,
    r: int = DEFAULT_R,
    p: int = DEFAULT_P,
) -> str:
    """Hash ``password`` with scrypt and a fresh random salt (or ``salt``, for tests).

    :raises ConfigurationError: ``bad_scrypt_parameters`` if ``n`` is not a power of
        two above 1 or ``r``/``p`` are not positive.
    """
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise ConfigurationError(
            f"scrypt needs n a power of two > 1, r, p >= 1 (got {n}, {r}, {p})",
            code="bad_scrypt_parameters",
        )
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = _scrypt(password, salt, n, r, p)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: OpenSSL's default 32 MiB limit refuses r=8, n=2^15; allow what the parameters need.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p + 2) + 1024 * 1024,
        dklen=_HASH_BYTES,
    )


def _split(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PopulationError("not a scrypt password hash", code="bad_password_hash")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError as exc:
        raise PopulationError("malformed scrypt password hash", code="bad_password_hash") from exc
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or len(digest) != _HASH_BYTES:
        raise PopulationError("bad scrypt parameters in hash", code="bad_password_hash")
    return n, r, p, salt, digest


def is_password_hash(encoded: str) -> bool:
    """Whether ``encoded`` is a well-formed hash this module can verify (no hashing done)."""
    try:
        _split(encoded)
    except PopulationError:
        return False
    return True


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded``; the comparison takes constant time.

    :raises PopulationError: ``bad_password_hash`` if ``encoded`` is malformed
        (a storage problem, not a wrong password).
    """
    n, r, p, salt, digest = _split(encoded)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), digest)
