"""Faults a tester can inject into tokens by name (as the GOV.UK One Login simulator does).

Each fault turns a good token into one a correct relying party must reject,
and names the :class:`~eid.errors.TokenError` code the verifier gives it, so
a portal's tests can assert that it rejects each one for the right reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import ConfigurationError
from eid.errors import TokenFailure as F
from eid.signing import SigningKey, sign_token
from eid.verify._codec import b64url_decode, b64url_encode

__all__ = ["TOKEN_FAULTS", "TokenFault", "apply_token_fault", "check_fault", "sign_with_fault"]


@dataclass(frozen=True, slots=True)
class TokenFault:
    """One named fault: how it changes claims or the signed token, and the code it earns."""

    name: str
    description: str
    expected_code: F
    claims: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    token: Callable[[str], str] | None = None
    typ: str = "JWT"  # the header's typ when signing


def _flip_signature(token: str) -> str:
    head, body, sig = token.split(".")
    raw = bytearray(b64url_decode(sig, "signature"))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64url_encode(bytes(raw))}"


def _change_alg(token: str) -> str:
    # Same signature, header claims another algorithm: the classic confusion attack.
    head, body, sig = token.split(".")
    header = json.loads(b64url_decode(head, "header"))
    header["alg"] = "RS256" if header.get("alg") != "RS256" else "ES256"
    new_head = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    return f"{new_head}.{body}.{sig}"


def _shift(claims: dict[str, Any], **deltas: int) -> dict[str, Any]:
    return {**claims, **{k: claims[k] + v for k, v in deltas.items()}}


TOKEN_FAULTS: Final[dict[str, TokenFault]] = {f.name: f for f in (
    TokenFault("wrong_iss", "iss is another issuer", F.INVALID_ISSUER,
               claims=lambda c: {**c, "iss": c["iss"] + ".impostor"}),
    TokenFault("wrong_aud", "aud is another client", F.INVALID_AUDIENCE,
               claims=lambda c: {**c, "aud": "another-portal"}),
    TokenFault("bad_signature", "one bit of the signature flipped", F.BAD_SIGNATURE,
               token=_flip_signature),
    TokenFault("alg_changed", "header alg changed after signing", F.KEY_MISMATCH,
               token=_change_alg),
    TokenFault("expired", "exp an hour in the past", F.EXPIRED,
               claims=lambda c: _shift(c, exp=-3900, iat=-3600)),
    TokenFault("not_yet_valid", "nbf an hour in the future", F.NOT_YET_VALID,
               claims=lambda c: {**c, "nbf": c["iat"] + 3600}),
    TokenFault("issued_in_future", "iat an hour in the future", F.ISSUED_IN_FUTURE,
               claims=lambda c: _shift(c, iat=3600, exp=3600)),
    TokenFault("nonce_mismatch", "nonce is not the one sent", F.NONCE_MISMATCH,
               claims=lambda c: {**c, "nonce": "not-the-nonce-you-sent"}),
    TokenFault("lower_acr", "acr LoA1 whatever was requested", F.ACR_TOO_LOW,
               claims=lambda c: {**c, "acr": "LoA1"}),
    TokenFault("missing_sub", "no sub claim", F.INVALID_SUBJECT,
               claims=lambda c: {k: v for k, v in c.items() if k != "sub"}),
    TokenFault("wrong_typ", "typ at+jwt (an access token)", F.WRONG_TOKEN_TYPE, typ="at+jwt"),
)}


def check_fault(name: str | None) -> TokenFault | None:
    """The fault called ``name`` (``None`` for none).

    :raises ConfigurationError: ``unknown_fault`` listing the known names.
    """
    if name is None:
        return None
    fault = TOKEN_FAULTS.get(name)
    if fault is None:
        raise ConfigurationError(
            f"unknown fault {name!r}; known: {', '.join(sorted(TOKEN_FAULTS))}",
            code="unknown_fault")
    return fault


def sign_with_fault(claims: dict[str, Any], key: SigningKey, fault: TokenFault | None) -> str:
    """Sign ``claims`` with ``key``, injecting ``fault`` (claims, header ``typ``, token)."""
    if fault is None:
        return sign_token(claims, key)
    if fault.claims is not None:
        claims = fault.claims(claims)
    return apply_token_fault(fault, sign_token(claims, key, typ=fault.typ))


def apply_token_fault(fault: TokenFault, token: str) -> str:
    """Apply a token-level fault (claims-level faults are applied before signing)."""
    return fault.token(token) if fault.token is not None else token
