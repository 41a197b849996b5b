"""Checking DPoP proofs on the server side (RFC 9449 §4.3), and JWK thumbprints (RFC 7638).

:mod:`eid.oidc.dpop` makes proofs for a portal; this module is the other half,
for a provider's token endpoint or a resource server. Framework-free: the caller
passes the request's method, URL and ``DPoP`` header values, a function that
remembers each ``jti`` (single use, §11.1) and, when it hands out nonces (§8, §9),
a function that tells a current nonce. Every failure is an
:class:`~eid.errors.InvalidDpopProof` (or :class:`~eid.errors.UseDpopNonce`), so a
caller answers with one ``except``.

The checks, in the order of §4.3 (a forged or replayed proof never reaches the
replay store: the ``jti`` is remembered only once everything else holds):

1. exactly one ``DPoP`` header (point 1);
2. a compact JWS (point 2) with ``typ: dpop+jwt`` (point 4) and an ``alg`` of
   :data:`DPOP_ALGS` (point 5);
3. ``jwk`` a public key that the verifier's key rules accept (point 7;
   :class:`eid.verify.KeySet`: no private members, RSA of 2048 bits or more, P-256,
   Ed25519), and the signature verified with it (point 6);
4. ``htm`` the request method, ``htu`` the request URL without query and fragment,
   both sides normalised (points 8 and 9, RFC 3986 §6.2.2 and §6.2.3);
5. ``nonce`` when the server requires one (point 10);
6. ``iat`` within the window (point 11: "within an acceptable window");
7. ``ath`` when an access token is presented (point 12);
8. ``jti`` never seen within the window (§11.1).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import InvalidDpopProof, UseDpopNonce
from eid.verify._codec import b64url_encode
from eid.verify.self_signed import verify_self_signed_jws

__all__ = [
    "DPOP_ALGS",
    "DPOP_MAX_AGE",
    "DPOP_MAX_FUTURE",
    "DpopProof",
    "access_token_hash",
    "jwk_thumbprint",
    "normalise_htu",
    "verify_dpop_proof",
]

#: FAPI 2.0 Security Profile §5.4.1: "shall use PS256, ES256, or EdDSA (using the
#: Ed25519 variant)"; RS256 is refused (PKCS#1 v1.5), like every symmetric alg (§4.3 5).
DPOP_ALGS: Final = ("ES256", "PS256", "EdDSA")
#: How old (seconds) a proof's ``iat`` may be. The FAPI 2.0 test plan sends proofs
#: 10 s early and late and expects them accepted, and one far outside refused; RFC 9449
#: §11.1 asks for a short window, since the replay store must cover all of it.
DPOP_MAX_AGE: Final = 60
#: How far (seconds) a proof's ``iat`` may be ahead of the server's clock (clock skew).
DPOP_MAX_FUTURE: Final = 60
_MAX_PROOF: Final = 8 * 1024  # a proof carries one public key: a few KB at most
_MAX_JTI: Final = 256
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# RFC 7638 §3.2: the required members of each key type, in lexicographic order.
_THUMBPRINT_MEMBERS: Final = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"),
                              "OKP": ("crv", "kty", "x")}


@dataclass(frozen=True, slots=True)
class DpopProof:
    """A proof that passed every check."""

    #: RFC 7638 thumbprint of the proof's key: what a bound token's ``cnf.jkt`` holds.
    jkt: str
    jti: str
    iat: int
    nonce: str | None


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url without padding.

    :raises InvalidDpopProof: an unsupported key type or a missing member.
    """
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise InvalidDpopProof("the key has no RFC 7638 thumbprint")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"),
                           ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def access_token_hash(access_token: str) -> str:
    """``ath`` (RFC 9449 §4.2): base64url of the SHA-256 of the token's ASCII octets."""
    return b64url_encode(hashlib.sha256(access_token.encode("utf-8", "surrogatepass")).digest())


def normalise_htu(url: str) -> str:
    """The URL without query and fragment, in the normal form of RFC 3986 §6.2.2-6.2.3:
    scheme and host in lower case, the default port dropped, an empty path as ``/``.

    :raises InvalidDpopProof: not an absolute http(s) URL.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidDpopProof("htu is not a URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise InvalidDpopProof("htu is not an absolute http(s) URL")
    if ":" in host:  # an IPv6 literal keeps its brackets (RFC 3986 §3.2.2)
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urllib.parse.urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def _claims(values: Sequence[str]) -> tuple[dict[str, Any], str]:
    """Points 1-7: the proof's verified claims and its key's thumbprint."""
    if len(values) != 1:
        raise InvalidDpopProof("exactly one DPoP header is required")
    proof = verify_self_signed_jws(values[0].strip(), typ="dpop+jwt", algs=DPOP_ALGS,
                                   max_size=_MAX_PROOF, fail=InvalidDpopProof)
    claims, jwk = proof.claims, proof.jwk
    return claims, jwk_thumbprint(jwk)


def verify_dpop_proof(
    values: Sequence[str], *, method: str, url: str, now: float,
    remember_jti: Callable[[str, float], bool],
    access_token: str | None = None,
    nonce_valid: Callable[[str], bool] | None = None,
    max_age: float = DPOP_MAX_AGE, max_future: float = DPOP_MAX_FUTURE,
) -> DpopProof:
    """Check the ``DPoP`` header values of one request (RFC 9449 §4.3).

    :param values: every ``DPoP`` header of the request (exactly one is allowed).
    :param url: the request URL as the server is reached (its query and fragment are ignored).
    :param remember_jti: stores a key for the given seconds; ``False`` when already stored
        (``EphemeralStore.add`` fits).
    :param access_token: the token presented with the proof (resource requests).
    :param nonce_valid: set when the server requires nonces: whether a nonce is current.
    :raises InvalidDpopProof: any failed check.
    :raises UseDpopNonce: a nonce is required and the proof has none, or a stale one.
    """
    claims, jkt = _claims(values)
    jti, htm, htu, iat = (claims.get(n) for n in ("jti", "htm", "htu", "iat"))
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI:
        raise InvalidDpopProof("jti must be a short non-empty string")
    if not isinstance(htm, str) or htm != method.upper():
        raise InvalidDpopProof("htm does not match the request method")
    if not isinstance(htu, str) or normalise_htu(htu) != normalise_htu(url):
        raise InvalidDpopProof("htu does not match the request URL")
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise InvalidDpopProof("nonce must be a string")
    if nonce_valid is not None and (nonce is None or not nonce_valid(nonce)):
        raise UseDpopNonce("a DPoP proof with the server's current nonce is required")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidDpopProof("iat must be a number")
    if iat > now + max_future:
        raise InvalidDpopProof("the proof is issued in the future")
    if iat < now - max_age:
        raise InvalidDpopProof("the proof is too old")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(
                ath.encode("utf-8", "surrogatepass"), access_token_hash(access_token).encode()):
            raise InvalidDpopProof("ath does not match the access token")
    # §11.1: remembered for the whole window in which this iat is accepted.
    key = hashlib.sha256(f"{jkt}.{jti}".encode("utf-8", "surrogatepass")).hexdigest()
    if not remember_jti(key, max_age + max_future):
        raise InvalidDpopProof("the proof was already used (jti replay)")
    return DpopProof(jkt=jkt, jti=jti, iat=int(iat), nonce=nonce)
