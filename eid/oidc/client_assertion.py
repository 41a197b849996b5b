"""``private_key_jwt`` client authentication, the provider's side (RFC 7523 §2.2, §3;
OIDC Core §9).

Two steps, as joserfc separates decoding from claim validation:
:func:`check_client_assertion` verifies the JWS and its claims and raises
:class:`~eid.errors.TokenError` naming the rule (a :class:`~eid.errors.TokenFailure`);
:func:`authenticate_assertion` turns any failure into ``invalid_client`` (RFC 6749
§5.2), the only thing a client learns. The ``jti`` is remembered through a hook, so
the caller decides where (the service: its short-lived store).

Rules, each from its section:

* ``alg``: ES256 or PS256 only. FAPI 2.0 Security Profile §5.4.1 allows PS256,
  ES256 and EdDSA; issue 12 asks for the first two only, and RS256 (PKCS#1 v1.5) is
  what §5.4.1 rules out, so it is refused for every client, not just fapi2 ones.
* ``iss`` = ``sub`` = the client id (RFC 7523 §3 items 1-2, OIDC Core §9).
* ``aud`` a *single string* naming this provider (FAPI 2.0 §5.3.2.1: the issuer
  identifier as a string; an array is how audience-injection attacks smuggle a
  second audience in). RFC 7523 §3 item 3 lets the token endpoint URL identify the
  server too: ``audiences`` lists what a client may use (the issuer only, for fapi2).
* ``exp`` required (RFC 7523 §3 item 4) and at most :data:`MAX_LIFETIME` ahead, so
  the ``jti`` memory stays bounded; ``nbf``/``iat`` at most :data:`LEEWAY` in the
  future (clock skew), more is refused (RFC 7523 §3 items 5-6).
* ``jti`` required and single-use until the assertion expires (RFC 7523 §3 item 7).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any, Final, TypedDict

from eid.errors import InvalidClient, KeySourceError, TokenError, TokenFailure
from eid.verify.jws import Jwks, check_signature, parse_jws

__all__ = [
    "ASSERTION_ALGS",
    "JWT_BEARER",
    "LEEWAY",
    "MAX_ASSERTION_SIZE",
    "MAX_LIFETIME",
    "ClientAssertionClaims",
    "authenticate_assertion",
    "check_client_assertion",
]

#: RFC 7523 §2.2: the ``client_assertion_type`` of a JWT client assertion.
JWT_BEARER: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Signature algorithms accepted for assertions (FAPI 2.0 §5.4.1, narrowed: see above).
ASSERTION_ALGS: Final = ("ES256", "PS256")
#: The furthest an assertion's ``exp`` may lie ahead of now (seconds).
MAX_LIFETIME: Final = 300
#: Clock skew tolerated on ``nbf`` / ``iat`` (and past ``exp``), seconds.
LEEWAY: Final = 60
#: A client assertion is a few hundred bytes; anything far larger is refused unread.
MAX_ASSERTION_SIZE: Final = 4096

#: Called with the ``jti`` and how long to remember it; ``False`` when already seen.
RememberJti = Callable[[str, float], bool]


class ClientAssertionClaims(TypedDict, total=False):
    """The claims of an accepted client assertion."""

    iss: str
    sub: str
    aud: str
    exp: int
    jti: str
    iat: int
    nbf: int


def _fail(message: str, code: TokenFailure) -> TokenError:
    return TokenError(message, code=code)


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"{name} must be a number", TokenFailure.INVALID_CLAIM)
    return float(value)


def _check_times(claims: dict[str, Any], now: float, max_lifetime: float, leeway: float
                 ) -> float:
    exp = _number(claims, "exp")
    if exp is None:
        raise _fail("exp is required (RFC 7523 §3 item 4)", TokenFailure.MISSING_CLAIM)
    if exp <= now - leeway:
        raise _fail("the assertion has expired", TokenFailure.EXPIRED)
    if exp > now + max_lifetime:
        raise _fail(f"exp is more than {max_lifetime:g} s ahead", TokenFailure.INVALID_CLAIM)
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise _fail("the assertion is not valid yet (nbf)", TokenFailure.NOT_YET_VALID)
    iat = _number(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise _fail("the assertion was issued in the future (iat)",
                    TokenFailure.ISSUED_IN_FUTURE)
    return exp


def check_client_assertion(
    assertion: object, *, client_id: str, keys: Jwks, audiences: Collection[str],
    now: float, remember_jti: RememberJti, algorithms: Collection[str] = ASSERTION_ALGS,
    max_lifetime: float = MAX_LIFETIME, leeway: float = LEEWAY,
) -> ClientAssertionClaims:
    """Verify ``assertion`` as ``client_id``'s authentication to this provider.

    :param keys: the client's registered keys (``jwks`` or a source for ``jwks_uri``).
    :param audiences: the values that name this provider for this client.
    :param remember_jti: records the ``jti`` until the assertion expires; returns
        ``False`` when it was already recorded (a replay).
    :raises TokenError: the failed rule (``unsupported_algorithm``, ``bad_signature``,
        ``invalid_issuer``, ``invalid_subject``, ``invalid_audience``, ``missing_claim``,
        ``expired``, ``not_yet_valid``, ``issued_in_future``, ``jti_replayed``, ...).
    :raises KeySourceError: the client's ``jwks_uri`` cannot be fetched.
    """
    if not isinstance(assertion, str):
        raise _fail("client_assertion must be a string", TokenFailure.NOT_A_STRING)
    parsed = parse_jws(assertion, max_size=MAX_ASSERTION_SIZE)
    if parsed.alg.name not in algorithms:
        raise _fail(f"assertions are signed with {' or '.join(algorithms)}",
                    TokenFailure.UNSUPPORTED_ALGORITHM)
    check_signature(parsed, keys)
    try:
        claims = json.loads(parsed.payload)
    except ValueError:
        raise _fail("the payload is not JSON", TokenFailure.BAD_JSON) from None
    if not isinstance(claims, dict):
        raise _fail("the payload is not a JSON object", TokenFailure.BAD_JSON)
    if claims.get("iss") != client_id:
        raise _fail("iss must be the client id", TokenFailure.INVALID_ISSUER)
    if "sub" not in claims:
        raise _fail("sub is required", TokenFailure.MISSING_SUBJECT)
    if claims["sub"] != client_id:
        raise _fail("sub must be the client id", TokenFailure.INVALID_SUBJECT)
    aud = claims.get("aud")
    if not isinstance(aud, str) or aud not in audiences:
        raise _fail("aud must be this provider's identifier, as one string",
                    TokenFailure.INVALID_AUDIENCE)
    exp = _check_times(claims, now, max_lifetime, leeway)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise _fail("jti is required (RFC 7523 §3 item 7)", TokenFailure.MISSING_CLAIM)
    if len(jti) > 256:
        raise _fail("jti is too long", TokenFailure.INVALID_CLAIM)
    # Remembered until it could no longer be accepted anyway (exp + leeway).
    if not remember_jti(jti, max(exp + leeway - now, 1.0)):
        raise _fail("this assertion was used before (jti)", TokenFailure.JTI_REPLAYED)
    result: ClientAssertionClaims = {"iss": client_id, "sub": client_id, "aud": aud,
                                     "exp": int(exp), "jti": jti}
    return result


def authenticate_assertion(
    assertion: object, *, client_id: str, keys: Jwks, audiences: Collection[str],
    now: float, remember_jti: RememberJti, algorithms: Collection[str] = ASSERTION_ALGS,
) -> ClientAssertionClaims:
    """:func:`check_client_assertion`, with every failure as ``invalid_client``.

    The rule that failed stays readable for logs as the error's ``__cause__``.

    :raises InvalidClient: the assertion does not authenticate ``client_id``.
    """
    try:
        return check_client_assertion(
            assertion, client_id=client_id, keys=keys, audiences=audiences, now=now,
            remember_jti=remember_jti, algorithms=algorithms)
    except TokenError as exc:
        raise InvalidClient(f"client assertion rejected: {exc.code}") from exc
    except KeySourceError as exc:
        raise InvalidClient("the client's keys cannot be fetched") from exc
