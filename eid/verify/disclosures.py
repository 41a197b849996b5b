"""SD-JWT Disclosures: decoding one, and resolving a payload's digests (RFC 9901 §4.2, §7.1).

Everything here runs on hostile input: a Disclosure is decoded with the same strict
base64url and JSON rules as a JWS segment, and the payload walk is bounded in depth.
Digests are computed over the Disclosure exactly as received (§4.2.3: never over
re-serialized JSON), with SHA-256, the only ``_sd_alg`` accepted (§4.1.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

from eid.errors import TokenError
from eid.verify._codec import b64url_decode, b64url_encode, json_value

__all__ = [
    "MAX_DEPTH",
    "SD_ALG",
    "Disclosure",
    "decode_disclosure",
    "disclosure_digest",
    "resolve_disclosures",
]

#: The one hash algorithm for digests and ``sd_hash`` (IANA "Named Information" name).
SD_ALG: Final = "sha-256"
#: Objects and arrays nested deeper than this in a payload are refused (``too_deep``).
MAX_DEPTH: Final = 64
# §4.2.1, §4.2.2: these names would forge the digest machinery itself.
_RESERVED: Final = frozenset({"_sd", "..."})


class Disclosure(NamedTuple):
    """One decoded Disclosure: ``name`` is None for an array element (§4.2.2)."""

    salt: str
    name: str | None
    value: Any
    #: base64url(SHA-256(ASCII(the Disclosure as received))), as the payload lists it.
    digest: str
    #: The Disclosure as received (base64url).
    encoded: str


def disclosure_digest(encoded: str) -> str:
    """The digest that references a Disclosure (§4.2.3): over its ASCII form as received."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def _malformed(message: str) -> TokenError:
    return TokenError(message, code="disclosure_malformed")


def decode_disclosure(encoded: str) -> Disclosure:
    """Decode one Disclosure: ``[salt, name, value]`` or ``[salt, value]`` (§4.2.1, §4.2.2).

    :raises TokenError: ``bad_base64``, ``bad_json``, ``too_deep``, ``disclosure_malformed``
        (not a two- or three-element array, a salt or name that is not a string) or
        ``disclosure_reserved_name`` (``_sd`` or ``...`` as the name).
    """
    if not isinstance(encoded, str) or not encoded:
        raise _malformed("a Disclosure is a non-empty string")
    value = json_value(b64url_decode(encoded, "disclosure"), "disclosure")
    if type(value) is not list or len(value) not in (2, 3):
        raise _malformed("a Disclosure is a JSON array of two or three elements")
    salt = value[0]
    if type(salt) is not str:
        raise _malformed("a Disclosure's salt is a string")
    if len(value) == 2:
        return Disclosure(salt, None, value[1], disclosure_digest(encoded), encoded)
    name = value[1]
    if type(name) is not str:
        raise _malformed("a Disclosure's claim name is a string")
    if name in _RESERVED:
        raise TokenError(f"a Disclosure may not name the claim {name!r}",
                         code="disclosure_reserved_name")
    return Disclosure(salt, name, value[2], disclosure_digest(encoded), encoded)


def _invalid(message: str) -> TokenError:
    return TokenError(message, code="invalid_sd_claim")


class _Walk:
    """One pass over a payload: each digest seen once, each Disclosure used once."""

    def __init__(self, by_digest: dict[str, Disclosure]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: set[str] = set()

    def _lookup(self, digest: object) -> Disclosure | None:
        if type(digest) is not str:
            raise _invalid("a digest is a string")
        # §7.1 step 4: a digest met twice (in the payload or via Disclosures) is refused;
        # this also stops a Disclosure from being inserted in two places.
        if digest in self.seen:
            raise TokenError("a digest appears more than once", code="duplicate_digest")
        self.seen.add(digest)
        found = self.by_digest.get(digest)
        if found is not None:
            self.used.add(digest)
        return found  # §7.1 step 3.3.1: no Disclosure -> a decoy or an undisclosed claim

    def value(self, value: Any, depth: int) -> Any:
        if type(value) is dict:
            return self.object(value, depth, top=False)
        if type(value) is list:
            return self.array(value, depth)
        return value

    def object(self, obj: dict[str, Any], depth: int, *, top: bool) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise TokenError("the payload is nested too deeply", code="too_deep")
        out: dict[str, Any] = {}
        for key, item in obj.items():
            if key == "_sd" or (top and key == "_sd_alg"):
                continue  # §7.1 steps 3.5, 3.6
            if key == "_sd_alg":  # §4.1.1: only at the top level
                raise _invalid("_sd_alg appears below the top level")
            out[key] = self.value(item, depth + 1)
        if "_sd" not in obj:
            return out
        digests = obj["_sd"]
        if type(digests) is not list:
            raise _invalid("_sd is an array of digests")
        for digest in digests:
            found = self._lookup(digest)
            if found is None:
                continue
            if found.name is None:  # §7.1 step 3.3.2.1
                raise TokenError("an array-element Disclosure is referenced from _sd",
                                 code="disclosure_wrong_kind")
            if found.name in obj or found.name in out:  # §7.1 step 3.3.2.3
                raise TokenError(f"disclosed claim {found.name!r} already exists",
                                 code="disclosure_name_clash")
            out[found.name] = self.value(found.value, depth + 1)
        return out

    def array(self, items: list[Any], depth: int) -> list[Any]:
        if depth > MAX_DEPTH:
            raise TokenError("the payload is nested too deeply", code="too_deep")
        out: list[Any] = []
        for item in items:
            if type(item) is not dict or "..." not in item:
                out.append(self.value(item, depth + 1))
                continue
            # §4.2.4.2: an array element's digest stands alone in {"...": digest}.
            if len(item) != 1:
                raise _invalid('an array-element digest is an object with "..." alone')
            found = self._lookup(item["..."])
            if found is None:
                continue  # §7.1 step 3.4: undisclosed elements are removed
            if found.name is not None:  # §7.1 step 3.3.3.1
                raise TokenError("an object-property Disclosure is referenced from an array",
                                 code="disclosure_wrong_kind")
            out.append(self.value(found.value, depth + 1))
        return out


def resolve_disclosures(
    payload: Mapping[str, Any], disclosures: Iterable[Disclosure]
) -> dict[str, Any]:
    """The processed payload (§7.1 steps 3-5): each referenced Disclosure put in place,
    undisclosed array elements removed, ``_sd`` and ``_sd_alg`` dropped. The input is
    not changed.

    :raises TokenError: ``unsupported_sd_alg``, ``invalid_sd_claim``, ``too_deep``,
        ``duplicate_disclosure``, ``duplicate_digest``, ``disclosure_wrong_kind``,
        ``disclosure_name_clash`` or ``unreferenced_disclosure``.
    """
    # §4.1.1: absent means SHA-256; only SHA-256 is implemented.
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise TokenError(f"_sd_alg {sd_alg!r} is not supported", code="unsupported_sd_alg")
    by_digest: dict[str, Disclosure] = {}
    for disclosure in disclosures:
        if disclosure.digest in by_digest:
            raise TokenError("a Disclosure is presented twice", code="duplicate_disclosure")
        by_digest[disclosure.digest] = disclosure
    walk = _Walk(by_digest)
    result = walk.object(dict(payload), 0, top=True)
    if len(walk.used) != len(by_digest):  # §7.1 step 5
        raise TokenError("a Disclosure is not referenced by the payload",
                         code="unreferenced_disclosure")
    return result
