"""The one strict parser of request parameters, for every endpoint of the service.

Everything from outside is hostile until checked here (issue 10 items 6, 12, 13):

* a parameter may appear once (RFC 6749 §3.1, §3.2: "MUST NOT be included more
  than once"), counting the query and the form body of a POST together;
* an empty parameter is an omitted one (RFC 6749 §3.1);
* every value has a length cap (:data:`MAX_LENGTHS`, documented in
  ``service/README.md``) and no control characters (RFC 6749 Appendix A builds
  every value from printable characters; JSON and hints need no controls either);
* numbers are ASCII digits only, with a digit cap (``str.isdigit`` and ``int``
  accept Arabic-Indic, fullwidth and superscript digits);
* JSON has a nesting cap checked *before* decoding (the decoder recurses).

Failures are :class:`~eid.errors.InvalidRequest`; the caller decides whether it
may be redirected (only once client and redirect URI are trusted, §4.1.2.1).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import unquote_plus

from eid.errors import InvalidClient, InvalidRequest

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_LENGTHS",
    "MAX_PENDING_REQUEST",
    "Params",
    "basic_credentials",
    "collect",
]

#: Longest accepted value per parameter name (characters). Generous for real
#: portals, small enough that a pending request stays a few KB (item 12).
MAX_LENGTHS: Final[Mapping[str, int]] = {
    # authorization request (OIDC Core §3.1.2.1, RFC 7636)
    "client_id": 128, "redirect_uri": 512, "response_type": 64, "response_mode": 32,
    "scope": 512, "state": 512, "nonce": 512, "code_challenge": 128,
    "code_challenge_method": 16, "prompt": 64, "max_age": 10, "login_hint": 64,
    "id_token_hint": 4096, "ui_locales": 64, "acr_values": 128, "claims": 4096,
    "display": 16, "claims_locales": 64, "request": 8192, "request_uri": 512,
    "dpop_jkt": 64,  # RFC 9449 §10: a SHA-256 JWK thumbprint is 43 characters
    # RFC 9396 §2: one vn_procedure object is about 120 characters
    "authorization_details": 1024,
    # token, revocation, introspection, userinfo (RFC 6749 §4.1.3, §6, RFC 7009, RFC 7662)
    "grant_type": 64, "code": 128, "code_verifier": 128, "refresh_token": 256,
    "client_secret": 256, "token": 512, "token_type_hint": 32, "access_token": 512,
    # private_key_jwt (RFC 7523 §2.2): an ES256/PS256 assertion is well under 2 KB
    "client_assertion": 4096, "client_assertion_type": 128,
    # RP-initiated logout
    "post_logout_redirect_uri": 512,
    # the data-access log's proofs (service.views.transparency): indexes below 2**63
    "index": 19, "size": 19, "first": 19, "second": 19,
    # the service's own forms (login, consent, "My shared data"): a passphrase may be long
    "password": 1024,
    # "Who accessed my data": a log index (18 digits stay inside SQL's 64-bit integers)
    # and a portal's client_id
    "before": 18, "portal": 128,
}
#: Cap for a parameter the service does not know (it is ignored, but still bounded).
_OTHER_MAX: Final = 512
#: Nesting cap for JSON parameters (``claims`` needs 4: object, object, object, array).
MAX_JSON_DEPTH: Final = 6
#: Cap on the JSON size of what one pending authorization request keeps (item 12).
MAX_PENDING_REQUEST: Final = 8192

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# JSON values may be pretty-printed: tab, LF and CR are JSON whitespace (RFC 8259 §2).
_JSON_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_PARAMS: Final = frozenset({"claims", "authorization_details"})
#: Nesting caps per JSON parameter (RFC 9396 §2: array, object, attributes array).
_JSON_DEPTHS: Final[Mapping[str, int]] = {"authorization_details": 3}
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: re's \d would take other scripts' digits
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# RFC 6749 §3.3 scope-token = 1*NQCHAR; prompt and acr_values are built the same way.
_NQCHARS = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class MultiValues(Protocol):
    """What Werkzeug's ``request.args`` / ``request.form`` offer."""

    def items(self, multi: bool = ...) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True, slots=True)
class Params:
    """One request's parameters: the first value of each, and the names seen more than once."""

    values: Mapping[str, str]
    repeated: frozenset[str] = frozenset()

    def check(self, names: Iterable[str] | None = None) -> None:
        """Refuse repeated, oversized or control-character values (all of them, or ``names``).

        :raises InvalidRequest: naming the first offending parameter.
        """
        for name in sorted(self.values) if names is None else names:
            if name in self.repeated:
                raise InvalidRequest(f"{name} is repeated (RFC 6749 §3.1)")
            value = self.values.get(name)
            if value is None:
                continue
            if len(value) > MAX_LENGTHS.get(name, _OTHER_MAX):
                raise InvalidRequest(f"{name} is too long")
            if (_JSON_CONTROL if name in _JSON_PARAMS else _CONTROL).search(value):
                raise InvalidRequest(f"{name} contains control characters")

    def get(self, name: str) -> str | None:
        """The value, or ``None`` when absent or empty (RFC 6749 §3.1)."""
        return self.values.get(name) or None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def words(self, name: str) -> list[str]:
        """A space-delimited list (RFC 6749 §3.3), split on U+0020 only, without duplicates.

        :raises InvalidRequest: a token outside NQCHAR (``str.split`` would also split on
            Unicode spaces and let them through).
        """
        words = list(dict.fromkeys(w for w in (self.get(name) or "").split(" ") if w))
        if not all(_NQCHARS.fullmatch(w) for w in words):
            raise InvalidRequest(f"{name} must be space-separated printable ASCII tokens")
        return words

    def integer(self, name: str) -> int | None:
        """A non-negative integer of ASCII digits (capped by :data:`MAX_LENGTHS`).

        :raises InvalidRequest: anything else.
        """
        raw = self.get(name)
        if raw is None:
            return None
        if len(raw) > MAX_LENGTHS.get(name, _OTHER_MAX) or not _DIGITS.fullmatch(raw):
            raise InvalidRequest(f"{name} must be a non-negative integer of ASCII digits")
        return int(raw)

    def json_value(self, name: str) -> object:
        """A JSON value, nested at most :data:`MAX_JSON_DEPTH` deep (less for some names);
        ``None`` when absent. Checking its shape is the caller's.

        :raises InvalidRequest: not JSON (RFC 8259: no NaN, no duplicate members), or too deep.
        """
        raw = self.get(name)
        if raw is None:
            return None
        if _depth(raw) > _JSON_DEPTHS.get(name, MAX_JSON_DEPTH):
            raise InvalidRequest(f"{name} is nested too deeply")
        try:
            return json.loads(raw, object_pairs_hook=_unique_members,
                              parse_constant=_no_constant)
        except ValueError:
            raise InvalidRequest(f"{name} is not JSON") from None

    def json_object(self, name: str) -> dict[str, Any] | None:
        """A JSON object, nested at most :data:`MAX_JSON_DEPTH` deep.

        :raises InvalidRequest: not JSON, too deep, or not an object.
        """
        raw = self.get(name)
        if raw is None:
            return None
        if _depth(raw) > MAX_JSON_DEPTH:
            raise InvalidRequest(f"{name} is nested too deeply")
        try:
            doc = json.loads(raw)
        except ValueError:
            raise InvalidRequest(f"{name} is not JSON") from None
        if not isinstance(doc, dict):
            raise InvalidRequest(f"{name} must be a JSON object")
        return doc


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two "procedure" members would be read differently by different parsers.
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 §6: no NaN or Infinity


def collect(*sources: MultiValues) -> Params:
    """The parameters of ``sources`` (query, form) taken together: a name in two is repeated."""
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for source in sources:
        for name, value in source.items(multi=True):
            if name in values:
                repeated.add(name)
            else:
                values[name] = value
    return Params(values, frozenset(repeated))


def _depth(raw: str) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _form_decoded(raw: str) -> str:
    # RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before base64.
    if _BAD_PERCENT.search(raw):
        raise InvalidClient("malformed percent-encoding in Basic credentials")
    try:
        return unquote_plus(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidClient("Basic credentials are not UTF-8") from None


def basic_credentials(header: str) -> tuple[str, str]:
    """``(client_id, secret)`` of an ``Authorization: Basic`` header (RFC 7617 §2).

    :raises InvalidClient: bad base64, not UTF-8, no colon, bad percent-encoding.
    """
    _, _, encoded = header.partition(" ")
    encoded = encoded.strip()
    if len(encoded) > 1024 or not _BASE64.fullmatch(encoded):
        raise InvalidClient("malformed Basic credentials")
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("malformed Basic credentials")
    return _form_decoded(client_id), _form_decoded(secret)
