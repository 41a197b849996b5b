"""The signature layer: strict compact JWS parsing and verification (RFC 7515).

Order (RFC 7519 §7.2): size and format checks first, then the signature, and
only then may a caller parse the payload. Header rules follow RFC 8725:
``kid`` is only a lookup key into the *trusted* key set; ``jku``, ``x5u``,
``jwk`` and ``x5c`` never find or supply a key (they are ignored); ``crit`` is
refused because no extension is understood (RFC 7515 §4.1.11); ``b64: false``
(RFC 7797) and nested tokens (``cty: JWT``, RFC 7519 §5.2) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple, TypeGuard

from eid.errors import ConfigurationError, TokenError
from eid.verify._codec import CHARSET as _CHARSET
from eid.verify._codec import b64url_decode, json_object
from eid.verify._jwkscache import keyset_of
from eid.verify.algorithms import ALGORITHMS, Algorithm
from eid.verify.keys import KeySet
from eid.verify.keysource import KeySource

__all__ = ["DEFAULT_MAX_SIZE", "Jwks", "ParsedJws", "check_signature", "parse_jws", "verify_jws"]

#: Default cap on a token's length, checked before any decoding.
DEFAULT_MAX_SIZE: Final = 16 * 1024

#: What the verifiers accept as trusted keys.
Jwks = KeySet | KeySource | Mapping[str, Any]

# Real deployments sign with a handful of keys, so the same few header
# segments recur in every token; their decoded, validated form is reused.
# Validation depends only on the segment's bytes, so the cache cannot change
# any outcome. Bounded, and cleared whole when full (no LRU bookkeeping on the
# hot path).
_HEADER_CACHE_SIZE: Final = 256
_headers: dict[str, tuple[dict[str, Any], Algorithm, str | None]] = {}


class ParsedJws(NamedTuple):
    """A compact JWS split and checked for format, signature not yet verified."""

    header: dict[str, Any]
    alg: Algorithm
    kid: str | None
    signing_input: bytes
    payload: bytes
    signature: bytes


def _is_jwt_media_type(value: object) -> bool:
    # RFC 7515 §4.1.9: media types compare case-insensitively and the
    # "application/" prefix may be omitted.
    if not isinstance(value, str):
        return False
    lower = value.lower()
    return lower in ("jwt", "application/jwt")


def _check_header(segment: str) -> tuple[dict[str, Any], Algorithm, str | None]:
    header = json_object(b64url_decode(segment, "header"), "header")
    alg_name = header.get("alg")
    if alg_name == "none":
        raise TokenError("unsecured tokens (alg none) are never accepted", code="alg_none")
    alg = ALGORITHMS.get(alg_name) if isinstance(alg_name, str) else None
    if alg is None:
        raise TokenError(f"algorithm {alg_name!r} is not allowed", code="unsupported_algorithm")
    if "crit" in header:
        raise TokenError("critical header extensions are not supported", code="crit_unsupported")
    if "b64" in header and header["b64"] is not True:
        raise TokenError("unencoded payloads (b64) are not supported", code="b64_unsupported")
    if "cty" in header and _is_jwt_media_type(header["cty"]):
        raise TokenError("nested tokens (cty JWT) are not accepted", code="nested_token")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenError("kid must be a string", code="bad_header")
    return header, alg, kid


def parse_jws(token: str | bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> ParsedJws:
    """Split and check a compact JWS without verifying its signature.

    :raises TokenError: ``not_a_string``, ``too_large``, ``jwe_not_supported``,
        ``malformed``, ``bad_base64``, ``bad_json``, ``too_deep``, ``alg_none``,
        ``unsupported_algorithm``, ``crit_unsupported``, ``b64_unsupported``,
        ``nested_token`` or ``bad_header``.
    """
    if isinstance(token, (bytes, bytearray)):  # a tuple checks faster than a union
        if len(token) > max_size:
            raise TokenError(f"token is longer than {max_size} bytes", code="too_large")
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise TokenError("token is not ASCII", code="malformed") from None
    elif not isinstance(token, str):
        raise TokenError("token must be a string", code="not_a_string")
    if len(token) > max_size:
        raise TokenError(f"token is longer than {max_size} characters", code="too_large")
    parts = token.split(".")
    if len(parts) != 3:
        if len(parts) == 5 and all(_CHARSET(p) for p in parts):
            raise TokenError("this is an encrypted token (JWE); only signed compact "
                             "JWS is accepted", code="jwe_not_supported")
        raise TokenError("a compact JWS has exactly three segments", code="malformed")
    head, body, sig = parts
    checked = _headers.get(head)
    if checked is None:
        checked = _check_header(head)
        if len(_headers) >= _HEADER_CACHE_SIZE:
            _headers.clear()
        _headers[head] = checked
    header, alg, kid = checked
    payload = b64url_decode(body, "payload")
    signature = b64url_decode(sig, "signature")
    # The charset check above proved both segments ASCII.
    signing_input = token[: len(head) + 1 + len(body)].encode("ascii")
    return ParsedJws(header, alg, kid, signing_input, payload, signature)


_REFETCH_CODES: Final = frozenset({"unknown_kid", "no_matching_key"})


def _is_key_source(jwks: object) -> TypeGuard[KeySource]:
    # A runtime-checkable protocol's isinstance() walks the protocol's members on every call
    # (about 5 us on Python 3.11, an eighth of an RS256 verification); the class check is
    # cached by the ABC machinery. isinstance() still admits a source whose methods are set
    # per instance.
    return issubclass(type(jwks), KeySource) or isinstance(jwks, KeySource)


def check_signature(parsed: ParsedJws, jwks: Jwks) -> None:
    """Verify ``parsed``'s signature with a key from ``jwks``.

    A key source is asked once for a fresh key set when the token names a key
    it does not have (the issuer may have rotated keys); the source rate-limits
    such refetches itself.

    :raises TokenError: ``bad_signature`` or a key-selection code.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    """
    alg, kid = parsed.alg, parsed.kid
    if type(jwks) is KeySet:
        key = jwks.select(alg, kid)
    # The exact-type test first: an ABC isinstance costs a Python-level call.
    elif type(jwks) is dict or isinstance(jwks, Mapping):
        key = keyset_of(jwks).select(alg, kid)
    elif _is_key_source(jwks):
        try:
            key = jwks.key_set().select(alg, kid)
        except TokenError as exc:
            fresh = jwks.refresh() if exc.code in _REFETCH_CODES else None
            if fresh is None:
                raise
            key = fresh.select(alg, kid)
    else:
        raise ConfigurationError(
            "jwks must be a JWKS dict, a KeySet or a key source", code="invalid_jwks_argument")
    alg.verify(key.key, key.size, parsed.signature, parsed.signing_input)


def verify_jws(
    token: str | bytes, jwks: Jwks, *, max_size: int = DEFAULT_MAX_SIZE
) -> tuple[dict[str, Any], bytes]:
    """Verify a compact JWS and return its header and the *unparsed* payload.

    For tokens that are not ID tokens (logout tokens, request objects, ...);
    the caller parses and checks the payload after this returns.

    :raises TokenError: the token is malformed or its signature does not verify.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    """
    parsed = parse_jws(token, max_size=max_size)
    check_signature(parsed, jwks)
    return dict(parsed.header), parsed.payload
