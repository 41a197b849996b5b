"""JWS signed by the key they carry in their own ``jwk`` header.

Two proofs of possession work this way: DPoP proofs (RFC 9449 §4.3 points 2-7) and
OpenID4VCI key proofs (1.0 Appendix F.1). Both need the same strict steps, in the
same order, before their own claim rules: the compact JWS parsed by the verifier's
strict parser under a size cap, the ``typ`` pinned (so one kind of proof signed by
a key cannot be replayed as another), the ``alg`` allow-listed, the header key a
public key the verifier's key rules accept, and the signature checked with it. One
implementation, so a fix to one proof is a fix to both.

Every failure is raised through the caller's ``fail`` (its own error class with a
stable ``code``), so each endpoint keeps its one ``except``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from eid.errors import EidError, KeySourceError, TokenError
from eid.verify._codec import json_object
from eid.verify.jws import check_signature, parse_jws
from eid.verify.keys import KeySet

__all__ = ["SelfSignedJws", "verify_self_signed_jws"]


@dataclass(frozen=True, slots=True)
class SelfSignedJws:
    """A proof whose signature verified with the ``jwk`` of its own header."""

    header: dict[str, Any]
    claims: dict[str, Any]
    jwk: dict[str, Any]


def verify_self_signed_jws(
    token: str, *, typ: str, algs: Collection[str], max_size: int,
    fail: Callable[[str], EidError],
    check_header: Callable[[dict[str, Any]], None] | None = None,
) -> SelfSignedJws:
    """Check ``token`` as a JWS signed by its header's ``jwk``.

    :param typ: the required ``typ``, compared case-insensitively (RFC 7515 §4.1.9:
        media types are case-insensitive).
    :param algs: the allowed ``alg`` names.
    :param fail: builds the error raised for any failed check, from a message.
    :param check_header: further header rules of the caller (e.g. no ``kid`` beside
        ``jwk``); it raises its own error.
    """
    try:
        parsed = parse_jws(token, max_size=max_size)
        header = parsed.header
        got = header.get("typ")
        if not isinstance(got, str) or got.lower() != typ:
            raise fail(f"typ must be {typ}")
        if parsed.alg.name not in algs:
            raise fail(f"alg must be one of {' '.join(algs)}")
        if check_header is not None:
            check_header(header)
        jwk = header.get("jwk")
        if not isinstance(jwk, dict):
            raise fail("the header has no jwk")
        keys = KeySet.from_jwks({"keys": [jwk]})
        if len(keys) != 1:
            raise fail(f"the jwk is not usable: {next(iter(keys.skipped.values()))}")
        # The key named by the header is the only key: a ``kid`` must not select another.
        check_signature(parsed._replace(kid=None), keys)
        claims = json_object(parsed.payload, "payload")
    except TokenError as exc:
        raise fail(f"the proof is not a valid JWS ({exc.code})") from exc
    except KeySourceError as exc:
        raise fail(f"the jwk is not a public key ({exc.code})") from exc
    return SelfSignedJws(header, claims, jwk)
