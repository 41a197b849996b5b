"""Issuing an SD-JWT VC (RFC 9901 §4, §5; draft-ietf-oauth-sd-jwt-vc §3): the issuer's side.

Every top-level claim is its own Disclosure; a list value is disclosable as a whole and
each of its elements is disclosable on its own (§4.2.2), so a household member can be
shown without the others. Decoy digests (§4.2.5) pad each digest array up to a fixed
bucket, so the credential's size does not tell how many attributes it holds.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping
from typing import Any, Final

from eid.errors import ConfigurationError, KeySourceError, TokenError
from eid.signing import SigningKey, sign_token
from eid.verify import KeySet
from eid.verify._codec import b64url_encode
from eid.verify.disclosures import SD_ALG, decode_disclosure, disclosure_digest, resolve_disclosures
from eid.verify.sd_jwt import CREDENTIAL_TYPE, DEFAULT_MAX_SD_JWT_SIZE, MAX_DISCLOSURES

__all__ = ["CITIZEN_DATA_VCT", "RESERVED_CLAIMS", "issue_sd_jwt"]

#: The credential type of the login service's citizen-data credential.
CITIZEN_DATA_VCT: Final = "urn:eid:vn:citizen-data:1"
#: Claims the issuer sets itself and never makes disclosable (SD-JWT VC §3.2.2.2 lists
#: iss, nbf, exp, cnf, vct, vct#integrity and status; RFC 9901 §4.1 reserves the rest).
RESERVED_CLAIMS: Final = frozenset({
    "iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "_sd", "_sd_alg", "...",
})
# Digest arrays are padded to a multiple of these (at least one bucket).
_TOP_BUCKET: Final = 16
_LIST_BUCKET: Final = 8
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _bad(message: str, code: str = "invalid_argument") -> ConfigurationError:
    return ConfigurationError(message, code=code)


def _disclosure(*content: Any) -> tuple[str, str]:
    """A new Disclosure ``[salt, (name,) value]`` and its digest."""
    salt = b64url_encode(secrets.token_bytes(16))  # §4.2.1: 128 bits of entropy
    try:
        raw = _ENCODE([salt, *content]).encode("utf-8")
    except (TypeError, ValueError) as exc:  # not JSON, NaN, or a lone surrogate
        raise _bad(f"claim value is not JSON: {exc}") from None
    encoded = b64url_encode(raw)
    return encoded, disclosure_digest(encoded)


def _decoy() -> str:
    # §4.2.5: the digest of a random value, indistinguishable from a real one.
    return b64url_encode(secrets.token_bytes(32))


def _padding(count: int, bucket: int) -> int:
    return max(bucket, math.ceil(count / bucket) * bucket) - count


def _disclosable_list(items: list[Any] | tuple[Any, ...], decoys: bool,
                      out: list[str]) -> list[dict[str, str]]:
    elements = []
    for item in items:
        encoded, digest = _disclosure(item)
        out.append(encoded)
        elements.append({"...": digest})
    if decoys:
        # Decoys go in at random places; real elements keep their order (§4.2.4.2).
        for _ in range(_padding(len(elements), _LIST_BUCKET)):
            elements.insert(secrets.randbelow(len(elements) + 1), {"...": _decoy()})
    return elements


def _check_names(where: str, names: Mapping[str, Any]) -> None:
    if not isinstance(names, Mapping):
        raise _bad(f"{where} must be a mapping of claim names to values")
    for name in names:
        if not isinstance(name, str) or not name:
            raise _bad(f"{where}: claim names are non-empty strings")
        if name in RESERVED_CLAIMS:
            raise _bad(f"{where}: {name!r} is set by the issuer", code="reserved_claim")


def _check_holder(holder_jwk: object) -> dict[str, Any]:
    if not isinstance(holder_jwk, Mapping):
        raise _bad("holder_jwk must be a public JWK", code="invalid_holder_key")
    try:
        usable = len(KeySet.from_jwks({"keys": [holder_jwk]}))
    except KeySourceError as exc:
        raise _bad(f"holder_jwk: {exc.message}", code="invalid_holder_key") from None
    if usable != 1:
        raise _bad("holder_jwk is not a supported signature key", code="invalid_holder_key")
    return dict(holder_jwk)


def _check_round_trip(payload: dict[str, Any], disclosures: list[str],
                      expected: Mapping[str, Any]) -> None:
    """Never issue what a verifier refuses or reads differently: values holding ``_sd``
    or ``...`` members, nested deeper than the verifier's bound, or over its size caps."""
    try:
        resolved = resolve_disclosures(payload, [decode_disclosure(d) for d in disclosures])
    except TokenError as exc:
        raise _bad(f"the claims cannot be carried in an SD-JWT: {exc.message}",
                   code="unrepresentable_claims") from None
    if any(_ENCODE(resolved.get(name)) != _ENCODE(value) for name, value in expected.items()):
        raise _bad("the claims would not read back as issued (a nested '...' member)",
                   code="unrepresentable_claims")
    if len(disclosures) > MAX_DISCLOSURES:
        raise _bad(f"more than {MAX_DISCLOSURES} Disclosures", code="unrepresentable_claims")


def issue_sd_jwt(
    claims: Mapping[str, Any],
    *,
    key: SigningKey,
    issuer: str,
    vct: str,
    holder_jwk: Mapping[str, Any],
    iat: int,
    exp: int,
    plain: Mapping[str, Any] | None = None,
    decoys: bool = True,
    status: Mapping[str, Any] | None = None,
) -> str:
    """Issue ``claims`` as an SD-JWT VC bound to ``holder_jwk``.

    :param claims: the disclosable claims (each a separate Disclosure; a list's elements too).
    :param key: the issuer's signing key (its ``kid`` goes in the header).
    :param vct: the credential type (SD-JWT VC §3.2.2.1).
    :param holder_jwk: the holder's public key, put in ``cnf.jwk`` (RFC 7800 §3.2).
    :param iat: issuance time; ``exp``: expiry (both Unix seconds, ``exp > iat``).
    :param plain: claims that are always visible (e.g. the holder portal's ``client_id``).
    :param decoys: pad digest arrays with decoy digests (§4.2.5).
    :param status: a ``status`` claim (e.g. a Token Status List reference), always visible.
    :returns: ``<issuer-signed JWT>~<D1>~...~<Dn>~`` (typ ``dc+sd-jwt``).
    :raises ConfigurationError: ``invalid_argument``, ``reserved_claim``,
        ``invalid_holder_key`` or ``unrepresentable_claims``.
    """
    _check_names("claims", claims)
    _check_names("plain", plain or {})
    if not isinstance(issuer, str) or not issuer or not isinstance(vct, str) or not vct:
        raise _bad("issuer and vct must be non-empty strings")
    if type(iat) is not int or type(exp) is not int or exp <= iat:
        raise _bad("iat and exp must be integers with exp after iat")
    if not isinstance(key, SigningKey):
        raise _bad("key must be a SigningKey")
    if status is not None and not isinstance(status, Mapping):
        raise _bad("status must be a mapping or None")
    both = set(claims) & set(plain or {})
    if both:
        raise _bad(f"claims and plain both name {sorted(both)}")
    visible = dict(plain or {})
    if status is not None:
        visible["status"] = dict(status)
    try:
        _ENCODE(visible)
    except (TypeError, ValueError) as exc:
        raise _bad(f"a plain or status value is not JSON: {exc}") from None
    payload: dict[str, Any] = {"iss": issuer, "iat": iat, "exp": exp, "vct": vct,
                               "cnf": {"jwk": _check_holder(holder_jwk)}, **visible}
    disclosures: list[str] = []
    digests: list[str] = []
    for name, value in claims.items():
        if isinstance(value, (list, tuple)):
            encoded, digest = _disclosure(name, _disclosable_list(value, decoys, disclosures))
        else:
            encoded, digest = _disclosure(name, value)
        disclosures.append(encoded)
        digests.append(digest)
    if decoys:
        digests.extend(_decoy() for _ in range(_padding(len(digests), _TOP_BUCKET)))
    # §4.2.4.1: sorted, so the order does not reveal the claims' original order.
    payload["_sd"] = sorted(digests)
    payload["_sd_alg"] = SD_ALG
    _check_round_trip(payload, disclosures, {**visible, **claims})
    issued = "~".join([sign_token(payload, key, typ=CREDENTIAL_TYPE), *disclosures, ""])
    if len(issued) > DEFAULT_MAX_SD_JWT_SIZE:
        raise _bad(f"the credential would exceed {DEFAULT_MAX_SD_JWT_SIZE} characters",
                   code="unrepresentable_claims")
    return issued
