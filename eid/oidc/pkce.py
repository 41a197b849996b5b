"""Proof Key for Code Exchange (RFC 7636), S256 only.

RFC 9700 §2.1.1 recommends PKCE for every client and FAPI 2.0 requires S256;
``plain`` gives no protection when the authorization request leaks, so it is
not accepted at all.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

from eid.errors import InvalidGrant, InvalidRequest
from eid.verify._codec import b64url_encode

__all__ = ["check_challenge", "make_pkce", "s256", "verify_pkce"]

# RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
_VERIFIER: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}").fullmatch
# §4.2: S256 challenges are the unpadded base64url of a SHA-256 digest (43 chars).
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9_-]{43}").fullmatch


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def make_pkce() -> tuple[str, str]:
    """A fresh ``(code_verifier, code_challenge)`` pair for a relying party."""
    verifier = secrets.token_urlsafe(48)  # 64 characters, 384 bits
    return verifier, s256(verifier)


def check_challenge(challenge: str | None, method: str | None) -> str:
    """Validate an authorization request's PKCE parameters and return the challenge.

    :raises InvalidRequest: when PKCE is missing, not S256, or malformed.
    """
    if not challenge:
        raise InvalidRequest("code_challenge is required (PKCE, S256)")
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not _CHALLENGE(challenge):
        raise InvalidRequest("code_challenge is not an S256 challenge")
    return challenge


def verify_pkce(verifier: str | None, challenge: str) -> None:
    """Check the token request's ``code_verifier`` against the stored challenge.

    :raises InvalidGrant: (RFC 7636 §4.6) when it is missing or wrong.
    """
    if not verifier or not _VERIFIER(verifier):
        raise InvalidGrant("code_verifier is missing or malformed")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrant("code_verifier does not match the challenge")
