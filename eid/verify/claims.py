"""ID token claim rules (OpenID Connect Core 1.0 §3.1.3.7, §3.1.3.6, §2).

Run only on a payload whose signature has verified. Every rule raises a
:class:`~eid.errors.TokenError` whose ``code`` names it.
"""

from __future__ import annotations

import hmac
from typing import Any, Final, TypedDict

from eid.errors import TokenError
from eid.verify._codec import b64url_encode
from eid.verify.algorithms import Algorithm
from eid.verify.assurance import acr_satisfies

__all__ = ["IdTokenClaims", "check_id_token_claims", "check_times", "token_hash"]

# OIDC Core §2: "It MUST NOT exceed 255 ASCII characters in length."
_MAX_SUB: Final = 255
_MAX_NUMBER: Final = 2**53 - 1


class IdTokenClaims(TypedDict, total=False):
    """The claims of an ID token (OIDC Core §2); others may be present too."""

    iss: str
    sub: str
    aud: str | list[str]
    exp: int | float
    iat: int | float
    nbf: int | float
    auth_time: int | float
    nonce: str
    acr: str
    amr: list[str]
    azp: str
    sid: str
    at_hash: str
    c_hash: str


def _number(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    # RFC 7519 §2 NumericDate is a JSON number: not a string, not a boolean
    # (a Python int subclass), and within I-JSON's exact range (RFC 7493 §2.2)
    # so that arithmetic with the leeway cannot overflow.
    if (type(value) is not int and type(value) is not float) or abs(value) > _MAX_NUMBER:
        raise TokenError(f"claim {name!r} must be a JSON number", code="invalid_claim")
    return value


def _required_number(claims: dict[str, Any], name: str) -> float:
    value = _number(claims, name)
    if value is None:
        raise TokenError(f"claim {name!r} is missing", code="missing_claim")
    return value


def token_hash(value: str, alg: Algorithm) -> str:
    """``at_hash``/``c_hash`` of ``value``: left half of its hash (OIDC Core 3.1.3.6)."""
    digest = alg.half_hash(value.encode("utf-8", "surrogatepass")).digest()
    return b64url_encode(digest[: len(digest) // 2])


def _check_hash(claims: dict[str, Any], name: str, value: str | None, alg: Algorithm) -> None:
    expected = claims.get(name)
    # Absent is allowed (OIDC Core 3.1.3.6: at_hash is optional in the code flow).
    if value is None or expected is None:
        return
    if not isinstance(expected, str) or not hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), token_hash(value, alg).encode("ascii")
    ):
        raise TokenError(f"{name} does not match", code=f"{name}_mismatch")


def check_times(
    claims: dict[str, Any], *, now: float, leeway: float, require_exp: bool = True
) -> None:
    """The time rules: ``exp``, ``iat`` (required) and ``nbf``, with the leeway.

    :raises TokenError: ``missing_claim``, ``invalid_claim``, ``expired``,
        ``issued_in_future`` or ``not_yet_valid``.
    """
    if require_exp or "exp" in claims:
        # Step 9: expired when now >= exp (+ leeway for clock skew).
        exp = _required_number(claims, "exp")
        if now >= exp + leeway:
            raise TokenError("token has expired", code="expired")
    iat = _required_number(claims, "iat")
    # Step 10: iat must not be in the future (beyond the allowed skew).
    if iat > now + leeway:
        raise TokenError("token was issued in the future", code="issued_in_future")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + leeway:  # RFC 7519 §4.1.5
        raise TokenError("token is not yet valid", code="not_yet_valid")


def check_id_token_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    audience: str,
    alg: Algorithm,
    now: float,
    leeway: float,
    nonce: str | None = None,
    max_age: float | None = None,
    min_acr: str | None = None,
    access_token: str | None = None,
    code: str | None = None,
) -> None:
    """Apply every ID token rule to ``claims`` (arguments already validated).

    :raises TokenError: with the code of the first rule that fails.
    """
    # Step 2: the issuer must match exactly.
    if claims.get("iss") != issuer:
        raise TokenError("iss is not the expected issuer", code="invalid_issuer")
    # Step 3: aud must contain the client; step 4-5: with several audiences,
    # azp must be the client (and if azp is present it must be the client).
    aud = claims.get("aud")
    if type(aud) is str:
        if aud != audience:
            raise TokenError("aud does not name this client", code="invalid_audience")
        several = False
    elif (
        type(aud) is list and aud and all(type(a) is str for a in aud) and audience in aud
    ):
        several = len(aud) > 1
    else:
        raise TokenError("aud does not name this client", code="invalid_audience")
    azp = claims.get("azp")
    if (several or azp is not None) and azp != audience:
        raise TokenError("azp is not this client", code="invalid_azp")
    sub = claims.get("sub")
    if type(sub) is not str or not sub or len(sub) > _MAX_SUB:
        raise TokenError("sub must be a non-empty string of at most 255 characters",
                         code="invalid_subject")
    check_times(claims, now=now, leeway=leeway)
    auth_time = _number(claims, "auth_time")
    # Step 13: with max_age, auth_time is required and must be recent enough.
    if max_age is not None:
        if auth_time is None:
            raise TokenError("claim 'auth_time' is missing", code="missing_claim")
        if now > auth_time + max_age + leeway:
            raise TokenError("the authentication is older than max_age",
                             code="auth_too_old")
    # Step 11: compare the nonce in constant time. A token with a nonce when
    # none was expected is allowed (OIDC Core 12.2: refreshed ID tokens).
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(
            got.encode("utf-8", "surrogatepass"), nonce.encode("utf-8", "surrogatepass")
        ):
            raise TokenError("nonce does not match the one sent", code="nonce_mismatch")
    # Step 12: the assurance level must meet the request.
    if min_acr is not None and not acr_satisfies(claims.get("acr"), min_acr):
        raise TokenError(f"acr is below {min_acr}", code="acr_too_low")
    if access_token is not None:
        _check_hash(claims, "at_hash", access_token, alg)
    if code is not None:
        _check_hash(claims, "c_hash", code, alg)
