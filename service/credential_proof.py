"""Key proofs of a Credential Request: the ``jwt`` proof type (OpenID4VCI 1.0 Appendix F.1).

The portal proves that it holds the private key the credential will be bound to
(``cnf.jwk``): a JWS signed by that key, carrying the key itself in the header, for
this issuer (``aud``), now (``iat``) and for a ``c_nonce`` this issuer handed out
(§7). The checks, cheapest and structural first, any failure ``invalid_proof``:

1. a compact JWS of at most 8 KiB (the strict parser of :mod:`eid.verify`: canonical
   base64url, strict JSON, no ``crit``), ``typ: openid4vci-proof+jwt`` (F.1; RFC 7515
   §4.1.9, media types compare case-insensitively: without this pin a DPoP proof,
   KB-JWT or ID token signed by the same key could be replayed as a key proof);
2. ``alg`` of :data:`PROOF_ALGS` (what the metadata advertises);
3. exactly one key: ``jwk`` (the one binding method offered, ``jwk``), and neither
   ``kid``, ``x5c`` nor ``trust_chain`` beside it (F.1: "MUST NOT be present if jwk
   is present"; two would let a proof name an honest key and carry another);
4. ``jwk`` a public P-256 key the verifier's key rules accept (no private members),
   and the signature verified with it;
5. ``aud`` the Credential Issuer Identifier, ``iss`` (when sent) the client of the
   access token, ``iat`` within :data:`PROOF_MAX_AGE` / :data:`PROOF_MAX_FUTURE`;
6. ``nonce`` present (F.1: required when the issuer has a Nonce Endpoint; missing is
   ``invalid_proof``, §8.3.1.2). Whether it is *fresh* is the caller's check against
   the store, after all of this (``invalid_nonce``), so a forged proof never burns a
   portal's nonce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from eid.errors import InvalidProof
from eid.verify.self_signed import verify_self_signed_jws

__all__ = ["PROOF_ALGS", "PROOF_MAX_AGE", "PROOF_MAX_FUTURE", "PROOF_TYP", "KeyProof",
           "verify_key_proof"]

PROOF_TYP: Final = "openid4vci-proof+jwt"
#: The credential is ES256-signed and bound to a P-256 key; the proof uses that key.
PROOF_ALGS: Final = ("ES256",)
#: How old (seconds) a proof's ``iat`` may be; the ``c_nonce`` (120 s, single use) is
#: what stops replay, this only bounds what "fresh" means (F.1 "iat: REQUIRED").
PROOF_MAX_AGE: Final = 120
#: How far (seconds) ``iat`` may run ahead of the issuer's clock.
PROOF_MAX_FUTURE: Final = 60
_MAX_PROOF: Final = 8 * 1024
_MAX_NONCE: Final = 256
# RFC 7638 §3.2 members of a P-256 key: everything the binding needs, nothing the
# portal could smuggle into the credential beside it.
_EC_MEMBERS: Final = ("kty", "crv", "x", "y")


@dataclass(frozen=True, slots=True)
class KeyProof:
    """A key proof that passed every check but the freshness of its nonce."""

    #: The holder's public key, its RFC 7638 members only: the credential's ``cnf.jwk``.
    jwk: dict[str, str]
    nonce: str
    iat: int


def _header_key(header: dict[str, Any]) -> None:
    for other in ("kid", "x5c", "trust_chain", "key_attestation"):
        if other in header:
            raise InvalidProof(f"{other} is not accepted: send the key as jwk only")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidProof("the proof's header has no jwk")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise InvalidProof("the proof's key must be an EC P-256 key")


def verify_key_proof(proof: object, *, audience: str, client_id: str, now: float,
                     max_age: float = PROOF_MAX_AGE,
                     max_future: float = PROOF_MAX_FUTURE) -> KeyProof:
    """Check one ``jwt`` key proof (Appendix F.1).

    :param audience: the Credential Issuer Identifier (``aud``).
    :param client_id: the client the access token was issued to (``iss``, when sent).
    :raises InvalidProof: any failed check.
    """
    if not isinstance(proof, str) or not proof:
        raise InvalidProof("a jwt key proof is a compact JWS string")
    checked = verify_self_signed_jws(proof, typ=PROOF_TYP, algs=PROOF_ALGS,
                                     max_size=_MAX_PROOF, fail=InvalidProof,
                                     check_header=_header_key)
    claims, jwk = checked.claims, checked.jwk
    aud, iss, iat, nonce = (claims.get(n) for n in ("aud", "iss", "iat", "nonce"))
    if aud != audience:  # F.1: a string, the Credential Issuer Identifier
        raise InvalidProof("aud must be the Credential Issuer Identifier")
    if iss is not None and iss != client_id:  # F.1: the client_id of the requesting client
        raise InvalidProof("iss must be the client the access token was issued to")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidProof("iat must be a number")
    if iat > now + max_future:
        raise InvalidProof("the key proof is issued in the future")
    if iat < now - max_age:
        raise InvalidProof("the key proof is too old")
    if nonce is None:
        raise InvalidProof("the key proof has no nonce: fetch a c_nonce first")
    if not isinstance(nonce, str) or not nonce or len(nonce) > _MAX_NONCE:
        raise InvalidProof("nonce must be a short non-empty string")
    return KeyProof(jwk={m: str(jwk[m]) for m in _EC_MEMBERS}, nonce=nonce, iat=int(iat))
