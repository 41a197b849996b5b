"""Token Status List (draft-ietf-oauth-status-list): whether an issued credential still holds.

A credential carries ``status.status_list = {"idx": i, "uri": u}`` (§6.1); the issuer
serves at ``u`` a Status List Token, a JWT with ``typ: statuslist+jwt`` (§5.1) whose
``status_list`` is ``{"bits": 1, "lst": ...}``: one bit per credential (0 valid,
1 invalid, §7.1), bit ``i`` the ``i % 8``-th least significant bit of byte ``i // 8``
(§4.1), the bytes DEFLATE-compressed in the ZLIB format (RFC 1950) and base64url
encoded (§4.2). The issuer's half is :func:`status_list_token`; a verifier's half is
:func:`verify_status_list_token` and :meth:`StatusList.status`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey, sign_token
from eid.verify import Jwks, verify_jws
from eid.verify._codec import b64url_decode, b64url_encode, json_object

__all__ = [
    "STATUS_INVALID",
    "STATUS_LIST_TYP",
    "STATUS_VALID",
    "StatusList",
    "encode_status_list",
    "status_list_token",
    "verify_status_list_token",
]

#: §7.1: the status values of a one-bit list.
STATUS_VALID: Final = 0
STATUS_INVALID: Final = 1
STATUS_LIST_TYP: Final = "statuslist+jwt"
#: A decompressed list larger than this is refused (a zip bomb costs nothing to send):
#: 8 MiB is 67 million credentials.
_MAX_LIST_BYTES: Final = 8 * 1024 * 1024
_MAX_TOKEN: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StatusList:
    """A decoded one-bit status list."""

    data: bytes

    def status(self, idx: int) -> int:
        """The status of index ``idx`` (:data:`STATUS_VALID` or :data:`STATUS_INVALID`).

        :raises TokenError: ``invalid_claim`` for an index beyond the list (§8.3: the
            credential then has no status the verifier can trust).
        """
        if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0 \
                or idx // 8 >= len(self.data):
            raise TokenError("the status index is outside the status list",
                             code="invalid_claim")
        return (self.data[idx // 8] >> (idx % 8)) & 1


def encode_status_list(size: int, invalid: Iterable[int]) -> dict[str, Any]:
    """The ``status_list`` member (§4.2) of ``size`` one-bit statuses, ``invalid`` set.

    :raises ConfigurationError: ``invalid_argument`` for an index outside ``[0, size)``.
    """
    data = bytearray((size + 7) // 8)
    for idx in invalid:
        if not 0 <= idx < size:
            raise ConfigurationError(f"status index {idx} outside the list",
                                     code="invalid_argument")
        data[idx // 8] |= 1 << (idx % 8)
    return {"bits": 1, "lst": b64url_encode(zlib.compress(bytes(data), 9))}


def status_list_token(*, key: SigningKey, uri: str, size: int, invalid: Iterable[int],
                      iat: int, exp: int | None = None, ttl: int | None = None) -> str:
    """The signed Status List Token (§5.1) served at ``uri`` (its ``sub``).

    :raises ConfigurationError: ``invalid_argument`` for an index outside ``[0, size)``.
    """
    claims: dict[str, Any] = {"sub": uri, "iat": iat,
                              "status_list": encode_status_list(size, invalid)}
    if exp is not None:
        claims["exp"] = exp
    if ttl is not None:  # §5.1: how long a verifier may cache it
        claims["ttl"] = ttl
    return sign_token(claims, key, typ=STATUS_LIST_TYP)


def _decompress(lst: object) -> bytes:
    if not isinstance(lst, str):
        raise TokenError("status_list.lst must be a string", code="invalid_claim")
    raw = b64url_decode(lst, "status_list.lst")
    inflate = zlib.decompressobj()
    try:
        data = inflate.decompress(raw, _MAX_LIST_BYTES)
    except zlib.error as exc:
        raise TokenError("status_list.lst is not ZLIB data", code="invalid_claim") from exc
    if inflate.unconsumed_tail or not inflate.eof:
        raise TokenError("status_list.lst is truncated or too large", code="invalid_claim")
    return data


def verify_status_list_token(token: str, *, jwks: Jwks, uri: str, now: float,
                             leeway: int = 60) -> StatusList:
    """Check a Status List Token fetched from ``uri`` (§8.3) and decode its list.

    The signature with the issuer's keys, ``typ: statuslist+jwt``, ``sub`` equal to
    ``uri``, ``iat`` not in the future and ``exp`` (when present) not past, each
    within ``leeway`` seconds; ``bits`` 1 (the only size this package issues).

    :raises TokenError: any failed check (``wrong_token_type``, ``invalid_claim``,
        ``missing_claim``, ``expired``, ``issued_in_future``, the JWS codes).
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    """
    header, payload = verify_jws(token, jwks, max_size=_MAX_TOKEN)
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() != STATUS_LIST_TYP:
        raise TokenError(f"typ must be {STATUS_LIST_TYP}", code="wrong_token_type")
    claims = json_object(payload, "payload")
    if claims.get("sub") != uri:
        raise TokenError("sub is not the status list's URI", code="invalid_claim")
    iat, exp = claims.get("iat"), claims.get("exp")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise TokenError("iat must be a number", code="missing_claim")
    if iat > now + leeway:
        raise TokenError("the status list is issued in the future", code="issued_in_future")
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise TokenError("exp must be a number", code="invalid_claim")
        if exp < now - leeway:
            raise TokenError("the status list has expired", code="expired")
    doc = claims.get("status_list")
    if not isinstance(doc, Mapping):
        raise TokenError("status_list is missing", code="missing_claim")
    if doc.get("bits") != 1 or isinstance(doc.get("bits"), bool):
        raise TokenError("only one-bit status lists are supported", code="invalid_claim")
    return StatusList(_decompress(doc.get("lst")))
