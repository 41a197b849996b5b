"""``verify_id_token``: the one call a portal makes to trust an ID token."""

from __future__ import annotations

import math
import time
from typing import Final, cast

from eid.errors import ConfigurationError, TokenError
from eid.verify._codec import json_object
from eid.verify.assurance import ACR_LEVELS
from eid.verify.claims import IdTokenClaims, check_id_token_claims
from eid.verify.jws import DEFAULT_MAX_SIZE, Jwks, check_signature, parse_jws

__all__ = ["MAX_LEEWAY", "check_common_arguments", "verify_id_token"]

#: Clock skew beyond five minutes hides a broken clock rather than tolerating one.
MAX_LEEWAY: Final = 300


def _is_number(value: object) -> bool:
    return (type(value) is int and abs(value) < 2**53) or (
        type(value) is float and math.isfinite(value))


def _bad(message: str) -> ConfigurationError:
    return ConfigurationError(message, code="invalid_argument")


def check_common_arguments(
    *, issuer: object, audience: object, leeway: object, now: object, max_size: object
) -> None:
    """Validate the arguments every token verifier takes.

    :raises ConfigurationError: ``invalid_argument`` naming the argument.
    """
    if not isinstance(issuer, str) or not issuer:
        raise _bad("issuer must be a non-empty string")
    if not isinstance(audience, str) or not audience:
        raise _bad("audience (the client_id) must be a non-empty string")
    if not (_is_number(leeway) and 0 <= leeway <= MAX_LEEWAY):  # type: ignore[operator]
        raise _bad(f"leeway must be a number of seconds between 0 and {MAX_LEEWAY}")
    if now is not None and not _is_number(now):
        raise _bad("now must be a Unix time (a number) or None")
    if type(max_size) is not int or max_size <= 0:
        raise _bad("max_size must be a positive integer")


def _check_arguments(
    *, nonce: object, max_age: object, min_acr: object, access_token: object, code: object,
) -> None:
    if nonce is not None and (not isinstance(nonce, str) or not nonce):
        raise _bad("nonce must be a non-empty string or None")
    if max_age is not None and not (_is_number(max_age) and max_age >= 0):  # type: ignore[operator]
        raise _bad("max_age must be a non-negative number of seconds or None")
    if min_acr is not None and min_acr not in ACR_LEVELS:
        raise ConfigurationError(
            f"unknown min_acr {min_acr!r}; expected one of {', '.join(ACR_LEVELS)}",
            code="unknown_acr")
    for name, value in (("access_token", access_token), ("code", code)):
        if value is not None and (not isinstance(value, str) or not value):
            raise _bad(f"{name} must be a non-empty string or None")


def verify_id_token(
    token: str | bytes,
    *,
    issuer: str,
    audience: str,
    jwks: Jwks,
    nonce: str | None = None,
    max_age: float | None = None,
    min_acr: str | None = None,
    access_token: str | None = None,
    code: str | None = None,
    leeway: float = 60,
    now: float | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> IdTokenClaims:
    """Verify an OpenID Connect ID token and return its claims.

    :param issuer: the exact ``iss`` expected (the provider's issuer URL).
    :param audience: this portal's ``client_id``.
    :param jwks: the provider's keys: a JWKS dict, a :class:`KeySet`, or a key
        source such as :class:`RemoteKeySource`.
    :param nonce: the nonce sent in the authorization request, if any.
    :param max_age: the ``max_age`` sent, if any; then ``auth_time`` is required.
    :param min_acr: the weakest acceptable assurance level (``"LoA1"``, ``"LoA2"``).
    :param access_token: check ``at_hash`` against it when the token has one.
    :param code: check ``c_hash`` against it when the token has one.
    :param leeway: allowed clock skew in seconds, for every time rule.
    :param now: Unix time to judge by, instead of the clock.
    :raises TokenError: the token breaks a rule; ``code`` names the rule.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    :raises ConfigurationError: an argument is invalid (the caller's mistake).
    """
    check_common_arguments(issuer=issuer, audience=audience, leeway=leeway, now=now,
                           max_size=max_size)
    _check_arguments(nonce=nonce, max_age=max_age, min_acr=min_acr,
                     access_token=access_token, code=code)
    parsed = parse_jws(token, max_size=max_size)
    typ = parsed.header.get("typ")
    # RFC 8725 §3.11: explicit typing keeps other JWTs (at+jwt, logout+jwt,
    # dpop+jwt) from passing as ID tokens. Media types compare
    # case-insensitively, with an optional "application/" (RFC 7515 §4.1.9).
    if typ is not None and (
        not isinstance(typ, str) or typ.lower() not in ("jwt", "application/jwt")
    ):
        raise TokenError(f"typ {typ!r} is not an ID token type", code="wrong_token_type")
    check_signature(parsed, jwks)
    claims = json_object(parsed.payload, "payload")
    check_id_token_claims(
        claims,
        issuer=issuer,
        audience=audience,
        alg=parsed.alg,
        now=time.time() if now is None else now,
        leeway=leeway,
        nonce=nonce,
        max_age=max_age,
        min_acr=min_acr,
        access_token=access_token,
        code=code,
    )
    return cast(IdTokenClaims, claims)
