"""Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6)."""

from __future__ import annotations

import time
from typing import Any, Final

from eid.errors import ConfigurationError, TokenError
from eid.verify._codec import json_object
from eid.verify.claims import check_times
from eid.verify.idtoken import check_common_arguments
from eid.verify.jws import DEFAULT_MAX_SIZE, Jwks, check_signature, parse_jws

__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT",
    "LOGOUT_TOKEN_MAX_AGE",
    "logout_jti_retention",
    "verify_logout_token",
]

BACKCHANNEL_LOGOUT_EVENT: Final = "http://schemas.openid.net/event/backchannel-logout"
#: Seconds after its ``iat`` that a logout token is still accepted. A provider
#: sends it at once; the bound is what makes replay protection finite (§2.6).
LOGOUT_TOKEN_MAX_AGE: Final = 120.0


def logout_jti_retention(*, max_age: float = LOGOUT_TOKEN_MAX_AGE, leeway: float = 60) -> float:
    """How long a caller must remember a logout token's ``jti`` (seconds from now).

    A token is accepted while ``iat <= now + leeway`` and ``now - iat <= max_age +
    leeway``: at most ``max_age + 2 * leeway`` seconds after the first time it
    was seen. Remembering the ``jti`` that long refuses every replay (§2.6).
    """
    return max_age + 2 * leeway


def verify_logout_token(
    token: str | bytes, *, issuer: str, audience: str, jwks: Jwks, leeway: float = 60,
    now: float | None = None, max_size: int = DEFAULT_MAX_SIZE,
    max_age: float = LOGOUT_TOKEN_MAX_AGE,
) -> dict[str, Any]:
    """Verify a logout token and return its claims (``sub`` and/or ``sid``, ``jti``).

    ``exp`` and ``iat`` are required (§2.4), and ``iat`` may be at most
    ``max_age`` seconds old (plus ``leeway``). Replay protection is the
    caller's, who owns the session store: remember ``jti`` for
    :func:`logout_jti_retention` seconds.

    :raises TokenError: with codes as for ID tokens, plus ``wrong_token_type``,
        ``invalid_event``, ``missing_subject``, ``nonce_forbidden``, ``missing_claim``,
        ``token_too_old``.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    :raises ConfigurationError: an argument is invalid.
    """
    check_common_arguments(issuer=issuer, audience=audience, leeway=leeway, now=now,
                           max_size=max_size)
    parsed = parse_jws(token, max_size=max_size)
    typ = parsed.header.get("typ")
    # §2.4: explicit typing with "logout+jwt" is recommended; anything else
    # (an ID token, an access token) must not pass as a logout token.
    if typ is not None and (not isinstance(typ, str)
                            or typ.lower() not in ("logout+jwt", "application/logout+jwt")):
        raise TokenError(f"typ {typ!r} is not a logout token type", code="wrong_token_type")
    check_signature(parsed, jwks)
    claims = json_object(parsed.payload, "payload")
    if claims.get("iss") != issuer:
        raise TokenError("iss is not the expected issuer", code="invalid_issuer")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise TokenError("aud does not name this client", code="invalid_audience")
    if not max_age > 0:
        raise ConfigurationError("max_age must be positive", code="invalid_argument")
    at = time.time() if now is None else now
    check_times(claims, now=at, leeway=leeway)
    # §2.6: iat bounds how long a jti must be remembered; without the bound, a
    # token (even one with a far exp) replays once the caller forgets its jti.
    if at - float(claims["iat"]) > max_age + leeway:
        raise TokenError("the logout token is too old", code="token_too_old")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenError("events lacks the back-channel logout event", code="invalid_event")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise TokenError("a logout token needs sub or sid", code="missing_subject")
    if "nonce" in claims:  # §2.4: prohibited, so an ID token cannot be replayed as one
        raise TokenError("a logout token must not carry a nonce", code="nonce_forbidden")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise TokenError("claim 'jti' is missing", code="missing_claim")
    return claims
