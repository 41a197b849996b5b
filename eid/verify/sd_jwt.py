"""``verify_sd_jwt``: selectively disclosed credentials (RFC 9901 §7, SD-JWT VC).

A presentation is ``<issuer-signed JWT>~<D1>~...~<Dn>~[<KB-JWT>]`` (§4). Order, as
§7.1 and §7.3 give it: the whole string's size and shape, the issuer-signed JWT with the
strictness of an ID token (allow-listed ``alg``, explicit ``typ``, strict JSON, trusted
keys only), then every Disclosure and digest, then the claims of the processed payload,
then the Key Binding JWT. Only the compact serialization is accepted; the JWS JSON
serialization of §8 is not.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from eid.errors import ConfigurationError, KeySourceError, TokenError
from eid.verify._codec import b64url_encode, json_object
from eid.verify.claims import check_times
from eid.verify.disclosures import (
    Disclosure,
    decode_disclosure,
    disclosure_digest,
    resolve_disclosures,
)
from eid.verify.idtoken import MAX_LEEWAY
from eid.verify.jws import Jwks, ParsedJws, check_signature, parse_jws
from eid.verify.keys import KeySet

__all__ = [
    "CREDENTIAL_TYPE",
    "DEFAULT_MAX_SD_JWT_SIZE",
    "KB_JWT_TYPE",
    "MAX_DISCLOSURES",
    "Disclosure",
    "SplitSdJwt",
    "decode_disclosure",
    "disclosure_digest",
    "sd_hash",
    "split_sd_jwt",
    "verify_key_binding",
    "verify_sd_jwt",
    "verify_sd_jwt_signature",
]

#: SD-JWT VC's media type (draft-ietf-oauth-sd-jwt-vc §3.2.1), the default ``typ``.
CREDENTIAL_TYPE: Final = "dc+sd-jwt"
KB_JWT_TYPE: Final = "kb+jwt"  # RFC 9901 §4.3
#: Cap on a whole presentation, checked before anything is decoded.
DEFAULT_MAX_SD_JWT_SIZE: Final = 64 * 1024
#: Cap on the number of Disclosures in one SD-JWT.
MAX_DISCLOSURES: Final = 512
_CHARSET: Final = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


class SplitSdJwt(NamedTuple):
    """An SD-JWT split at ``~`` (§4): nothing decoded or verified yet."""

    jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None


def split_sd_jwt(sd_jwt: str | bytes, *, max_size: int = DEFAULT_MAX_SD_JWT_SIZE) -> SplitSdJwt:
    """Split a compact SD-JWT or SD-JWT+KB into its parts.

    :raises TokenError: ``not_a_string``, ``too_large`` or ``sd_jwt_malformed`` (no
        ``~`` at all, an empty part, a character outside base64url, ``.`` and ``~``).
    """
    if isinstance(sd_jwt, (bytes, bytearray)):
        if len(sd_jwt) > max_size:
            raise TokenError(f"SD-JWT is longer than {max_size} bytes", code="too_large")
        try:
            sd_jwt = bytes(sd_jwt).decode("ascii")
        except UnicodeDecodeError:
            raise TokenError("SD-JWT is not ASCII", code="sd_jwt_malformed") from None
    elif not isinstance(sd_jwt, str):
        raise TokenError("SD-JWT must be a string", code="not_a_string")
    if len(sd_jwt) > max_size:
        raise TokenError(f"SD-JWT is longer than {max_size} characters", code="too_large")
    if not _CHARSET(sd_jwt):
        raise TokenError("SD-JWT has characters outside base64url, '.' and '~'",
                         code="sd_jwt_malformed")
    parts = sd_jwt.split("~")
    # §4: even with no Disclosure an SD-JWT ends with "~"; a bare JWT is not one.
    if len(parts) < 2 or not parts[0]:
        raise TokenError("an SD-JWT is '<JWT>~<Disclosures>~'", code="sd_jwt_malformed")
    disclosures = tuple(parts[1:-1])
    if not all(disclosures):
        raise TokenError("an SD-JWT has an empty Disclosure ('~~')", code="sd_jwt_malformed")
    if len(disclosures) > MAX_DISCLOSURES:
        raise TokenError(f"more than {MAX_DISCLOSURES} Disclosures", code="too_large")
    return SplitSdJwt(parts[0], disclosures, parts[-1] or None)


def sd_hash(sd_jwt: str) -> str:
    """``sd_hash`` (§4.3.1): SHA-256 over the SD-JWT up to and including its last ``~``.

    :raises TokenError: ``sd_jwt_malformed`` for a string without ``~`` or not ASCII.
    """
    end = sd_jwt.rfind("~") if isinstance(sd_jwt, str) else -1
    if end < 0 or not sd_jwt.isascii():
        raise TokenError("an SD-JWT is ASCII and has a '~'", code="sd_jwt_malformed")
    return b64url_encode(hashlib.sha256(sd_jwt[: end + 1].encode("ascii")).digest())


def _media_type(value: str) -> str:
    # RFC 7515 §4.1.9: compared case-insensitively; "application/" may be omitted.
    return value.lower().removeprefix("application/")


def _typ_is(parsed: ParsedJws, expected: str) -> bool:
    typ = parsed.header.get("typ")
    return isinstance(typ, str) and _media_type(typ) == _media_type(expected)


def verify_sd_jwt_signature(
    jwt: str, *, jwks: Jwks, typ: str = CREDENTIAL_TYPE, max_size: int = DEFAULT_MAX_SD_JWT_SIZE,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the issuer-signed JWT of an SD-JWT; return its header and payload.

    The payload is still undisclosed (``_sd`` digests); pass it to
    :func:`~eid.verify.disclosures.resolve_disclosures`.

    :raises TokenError: every format, header and key code of :func:`parse_jws`,
        ``wrong_token_type`` (``typ`` absent or not ``typ``), ``bad_signature``.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    """
    parsed = parse_jws(jwt, max_size=max_size)
    # RFC 8725 §3.11, RFC 9901 §9.11: explicit typing, so an ID token or a KB-JWT can
    # never pass as a credential.
    if not _typ_is(parsed, typ):
        raise TokenError(f"typ {parsed.header.get('typ')!r} is not {typ!r}",
                         code="wrong_token_type")
    check_signature(parsed, jwks)
    return dict(parsed.header), json_object(parsed.payload, "payload")


def _holder_key(claims: Mapping[str, Any]) -> KeySet:
    cnf = claims.get("cnf")
    if cnf is None or (type(cnf) is dict and "jwk" not in cnf):
        raise TokenError("the SD-JWT names no holder key (cnf.jwk)", code="holder_key_missing")
    jwk = cnf.get("jwk") if type(cnf) is dict else None
    try:
        keys = KeySet.from_jwks({"keys": [jwk]})
    except KeySourceError as exc:
        raise TokenError(f"cnf.jwk is not a usable public key: {exc.message}",
                         code="holder_key_invalid") from None
    if len(keys) != 1:
        raise TokenError(f"cnf.jwk is not a usable public key: {keys.skipped}",
                         code="holder_key_invalid")
    return keys


def verify_key_binding(
    kb_jwt: str, *, sd_jwt: str, holder: Mapping[str, Any], audience: str | None,
    nonce: str | None, max_age: float | None, leeway: float, now: float,
    max_size: int = DEFAULT_MAX_SD_JWT_SIZE,
) -> dict[str, Any]:
    """Check a Key Binding JWT (§7.3 step 5) against the SD-JWT it ends; return its claims.

    :param sd_jwt: the whole presentation (its ``sd_hash`` input is taken from it).
    :param holder: the processed credential claims, whose ``cnf.jwk`` must have signed.
    :param audience: the ``aud`` required, or None to accept any (still required present).
    :param nonce: the ``nonce`` required, or None to accept any (still required present).
    :param max_age: how old ``iat`` may be, in seconds; None for no bound.
    :raises TokenError: ``holder_key_missing``, ``holder_key_invalid``, the format and
        header codes, ``wrong_token_type``, ``key_mismatch``, ``kb_bad_signature``,
        ``missing_claim``, ``invalid_claim``, ``issued_in_future``, ``expired``,
        ``not_yet_valid``, ``token_too_old``, ``invalid_audience``, ``nonce_mismatch``,
        ``sd_hash_mismatch``.
    """
    keys = _holder_key(holder)
    parsed = parse_jws(kb_jwt, max_size=max_size)
    if not _typ_is(parsed, KB_JWT_TYPE):
        raise TokenError(f"typ {parsed.header.get('typ')!r} is not {KB_JWT_TYPE!r}",
                         code="wrong_token_type")
    key = keys.keys[0]
    if not key.fits(parsed.alg):  # the KB-JWT's kid, if any, is ignored: cnf names the key
        raise TokenError(f"the holder key cannot verify {parsed.alg.name}", code="key_mismatch")
    try:
        parsed.alg.verify(key.key, key.size, parsed.signature, parsed.signing_input)
    except TokenError:
        raise TokenError("the KB-JWT is not signed by the holder key (cnf.jwk)",
                         code="kb_bad_signature") from None
    claims = json_object(parsed.payload, "KB-JWT payload")
    check_times(claims, now=now, leeway=leeway, require_exp=False)
    if max_age is not None and now - claims["iat"] > max_age + leeway:
        raise TokenError("the presentation is older than max_age", code="token_too_old")
    for name in ("aud", "nonce", "sd_hash"):  # §4.3: all three are required
        if name not in claims:
            raise TokenError(f"KB-JWT claim {name!r} is missing", code="missing_claim")
    aud = claims["aud"]
    if not (type(aud) is str or (type(aud) is list and aud and all(type(a) is str for a in aud))):
        raise TokenError("KB-JWT aud must be a string", code="invalid_claim")
    if audience is not None and not (aud == audience or (type(aud) is list and audience in aud)):
        raise TokenError("the presentation is not addressed to this verifier",
                         code="invalid_audience")
    got_nonce, got_hash = claims["nonce"], claims["sd_hash"]
    if type(got_nonce) is not str or type(got_hash) is not str:
        raise TokenError("KB-JWT nonce and sd_hash must be strings", code="invalid_claim")
    if nonce is not None and not hmac.compare_digest(
            got_nonce.encode("utf-8", "surrogatepass"), nonce.encode("utf-8", "surrogatepass")):
        raise TokenError("nonce does not match the one sent", code="nonce_mismatch")
    # §4.3.1: binds this exact choice of Disclosures (dropped, added or reordered ones fail).
    if not hmac.compare_digest(got_hash.encode("utf-8", "surrogatepass"),
                               sd_hash(sd_jwt).encode("ascii")):
        raise TokenError("sd_hash does not match the presented SD-JWT", code="sd_hash_mismatch")
    return claims


def _is_number(value: object) -> bool:
    return (type(value) is int and abs(value) < 2**53) or (
        type(value) is float and math.isfinite(value))


def _check_arguments(*, issuer: object, audience: object, nonce: object, max_age: object,
                     leeway: object, now: object, typ: object, vct: object,
                     max_size: object) -> None:
    def bad(message: str) -> ConfigurationError:
        return ConfigurationError(message, code="invalid_argument")

    if not isinstance(issuer, str) or not issuer:
        raise bad("issuer must be a non-empty string")
    for name, value in (("audience", audience), ("nonce", nonce), ("vct", vct)):
        if value is not None and (not isinstance(value, str) or not value):
            raise bad(f"{name} must be a non-empty string or None")
    if not isinstance(typ, str) or not typ:
        raise bad("typ must be a non-empty string")
    if max_age is not None and not (_is_number(max_age) and max_age >= 0):  # type: ignore[operator]
        raise bad("max_age must be a non-negative number of seconds or None")
    if not (_is_number(leeway) and 0 <= leeway <= MAX_LEEWAY):  # type: ignore[operator]
        raise bad(f"leeway must be a number of seconds between 0 and {MAX_LEEWAY}")
    if now is not None and not _is_number(now):
        raise bad("now must be a Unix time (a number) or None")
    if type(max_size) is not int or max_size <= 0:
        raise bad("max_size must be a positive integer")


def verify_sd_jwt(
    sd_jwt: str | bytes,
    *,
    issuer: str,
    jwks: Jwks,
    audience: str | None = None,
    nonce: str | None = None,
    max_age: float | None = None,
    leeway: float = 60,
    now: float | None = None,
    typ: str = CREDENTIAL_TYPE,
    vct: str | None = None,
    max_size: int = DEFAULT_MAX_SD_JWT_SIZE,
) -> dict[str, Any]:
    """Verify an SD-JWT (VC) presentation and return the disclosed claims.

    The result is the processed payload (§7.1): the always-visible claims (``iss``,
    ``iat``, ``exp``, ``vct``, ``cnf``...) and the disclosed ones, without ``_sd`` or
    ``_sd_alg``; undisclosed claims and array elements are absent.

    :param issuer: the exact ``iss`` expected.
    :param jwks: the issuer's keys: a JWKS dict, a :class:`KeySet` or a key source.
    :param audience: this verifier's identifier; requires a Key Binding JWT with that ``aud``.
    :param nonce: the nonce this verifier issued; requires a KB-JWT with that ``nonce``.
    :param max_age: seconds the KB-JWT's ``iat`` may be old; requires a KB-JWT.
    :param leeway: allowed clock skew in seconds, for every time rule.
    :param now: Unix time to judge by, instead of the clock.
    :param typ: the issuer-signed JWT's required ``typ`` (SD-JWT VC: ``dc+sd-jwt``).
    :param vct: the credential type required, if any (``vct`` is required for ``dc+sd-jwt``).
    :raises TokenError: the presentation breaks a rule; ``code`` names it. A KB-JWT, when
        present, is always checked (signature, ``sd_hash``, times), required or not.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    :raises ConfigurationError: an argument is invalid.
    """
    _check_arguments(issuer=issuer, audience=audience, nonce=nonce, max_age=max_age,
                     leeway=leeway, now=now, typ=typ, vct=vct, max_size=max_size)
    parts = split_sd_jwt(sd_jwt, max_size=max_size)
    _, payload = verify_sd_jwt_signature(parts.jwt, jwks=jwks, typ=typ, max_size=max_size)
    claims = resolve_disclosures(payload, [decode_disclosure(d) for d in parts.disclosures])
    at = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise TokenError("iss is not the expected issuer", code="invalid_issuer")
    # §7.1 step 6 on the processed payload; a credential without exp would live forever.
    check_times(claims, now=at, leeway=leeway)
    is_vc = _media_type(typ) == CREDENTIAL_TYPE
    if is_vc and type(claims.get("vct")) is not str:  # SD-JWT VC §3.2.2.2: REQUIRED
        raise TokenError("claim 'vct' is missing", code="missing_claim")
    if vct is not None and claims.get("vct") != vct:
        raise TokenError(f"vct is not {vct!r}", code="invalid_vct")
    if parts.kb_jwt is None:
        if audience is not None or nonce is not None or max_age is not None:
            raise TokenError("a Key Binding JWT is required", code="kb_jwt_missing")
        return claims
    text = sd_jwt if isinstance(sd_jwt, str) else bytes(sd_jwt).decode("ascii")
    verify_key_binding(parts.kb_jwt, sd_jwt=text, holder=claims, audience=audience,
                       nonce=nonce, max_age=max_age, leeway=leeway, now=at, max_size=max_size)
    return claims
