"""Strict decoding of JWS segments: canonical base64url and strict JSON objects.

RFC 7515 §2 and §3.1 fix the compact form as base64url *without padding*;
accepting padding, whitespace or stray bits would let two different strings
carry one signature (malleability), so each is rejected here. The JSON rules
follow RFC 7515 §5.2 step 4 / RFC 7519 §7.2 step 9 (duplicate member names
rejected) and RFC 8259 (no NaN or Infinity).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from eid.errors import TokenError

__all__ = ["CHARSET", "b64url_decode", "b64url_encode", "json_object", "json_value"]

#: Whether a string uses only the base64url alphabet.
CHARSET = re.compile(r"[A-Za-z0-9_-]*").fullmatch
# The last character of an unpadded segment carries 4 (len % 4 == 2) or 2
# (len % 4 == 3) unused low bits; canonical encodings leave them zero, so only
# the characters below can end such a segment.
_LAST_OF_2 = frozenset("AQgw")
_LAST_OF_3 = frozenset("AEIMQUYcgkosw048")
# Map the URL-safe alphabet onto the standard one and poison the standard
# one's own "+", "/" and "=", so one strict C call both validates and decodes.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/***")
_PADDING = (b"", b"", b"==", b"=")
_HAS_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]").search


def b64url_decode(segment: str, part: str) -> bytes:
    """Decode one canonical, unpadded base64url segment.

    :raises TokenError: ``bad_base64`` naming ``part``.
    """
    rem = len(segment) % 4
    if rem == 1 or (rem == 2 and segment[-1] not in _LAST_OF_2) or (
        rem == 3 and segment[-1] not in _LAST_OF_3
    ):
        raise TokenError(f"{part} is not canonical unpadded base64url", code="bad_base64")
    try:
        return binascii.a2b_base64(
            segment.encode("ascii").translate(_TO_STANDARD) + _PADDING[rem], strict_mode=True
        )
    except (UnicodeEncodeError, binascii.Error):
        raise TokenError(f"{part} is not canonical unpadded base64url", code="bad_base64") from None


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class _Rejected(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Rejected("duplicate member name")
    return obj


def _no_constant(name: str) -> Any:
    raise _Rejected(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Rejected("number overflows")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    # Iterative: a value nested just under the parser's limit must not overflow the
    # stack here (a recursive walk raised RecursionError, not a TokenError).
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# Built once: json.loads with hooks would build a new decoder on every call.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_no_constant, parse_float=_finite_float
)


def json_object(raw: bytes, part: str) -> dict[str, Any]:
    """Parse ``raw`` as one UTF-8 JSON object under the strict rules above.

    :raises TokenError: ``bad_json`` (or ``too_deep``) naming ``part``.
    """
    value = json_value(raw, part)
    if not isinstance(value, dict):
        raise TokenError(f"{part} is not a JSON object", code="bad_json")
    return value


def json_value(raw: bytes, part: str) -> Any:
    """Parse ``raw`` as one UTF-8 JSON value (an SD-JWT Disclosure is an array) under
    the strict rules above.

    :raises TokenError: ``bad_json`` (or ``too_deep``) naming ``part``.
    """
    try:
        text = raw.decode("utf-8")
        value = _DECODER.decode(text)
    except RecursionError:
        raise TokenError(f"{part} JSON is nested too deeply", code="too_deep") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise TokenError(f"{part} is not valid UTF-8 JSON: {exc}", code="bad_json") from None
    # Escaped lone surrogates (\ud800) survive json.loads; only look when the
    # text has such an escape, which real tokens almost never do.
    if _HAS_SURROGATE_ESCAPE(text) and _has_lone_surrogate(value):
        raise TokenError(f"{part} has a lone surrogate", code="bad_json")
    return value
