"""One entry of the data-access log, and its canonical bytes (the Merkle tree's leaf input).

An entry records one release of a citizen's data: when, to which client (and the
organisation's name at the time), for which procedure or purpose, which attributes
(names, never values), on which basis, under which request trace id. The bytes that
are hashed (RFC 9162 §2.1.1: ``SHA-256(0x00 || entry)``) come from
:func:`canonical_bytes` only: sorted keys, no whitespace, UTF-8, so the same entry
hashes the same in every process, backend and language (any JSON library that sorts
keys and writes UTF-8 reproduces them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import AuditError

__all__ = ["ACTIONS", "AccessEntry", "canonical_bytes", "entry_from_bytes"]

#: What a release can be: the service's release paths.
ACTIONS: Final = frozenset({"userinfo", "id_token", "introspection", "prefill", "match",
                            "credential", "revocation"})
_FIELDS: Final = ("time", "citizen", "client_id", "organisation", "action", "procedure",
                  "purpose", "attributes", "basis", "trace_id")


def _bad(message: str) -> AuditError:
    return AuditError(message, code="invalid_entry")


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One release of a citizen's data, as appended to the log (never changed after).

    :raises AuditError: ``invalid_entry`` for a field of the wrong type or an unknown action.
    """

    time: int  # seconds since the epoch
    citizen: str  # the personal ID number (the log is not public; proofs carry hashes only)
    client_id: str
    organisation: str  # the client's name at the time (vi)
    action: str  # one of ACTIONS
    procedure: str | None  # a vn_procedure code from authorization_details
    purpose: str | None  # the client's registered purpose when no procedure
    attributes: tuple[str, ...]  # claim / attribute names, never values
    basis: str  # "consent:<scopes>" or a legal basis
    trace_id: str

    def __post_init__(self) -> None:
        # bool is an int in Python; a time of True is a bug, not an epoch.
        if type(self.time) is not int or self.time < 0:
            raise _bad("time must be a non-negative integer (epoch seconds)")
        for name in ("citizen", "client_id", "organisation", "basis", "trace_id"):
            if not isinstance(getattr(self, name), str):
                raise _bad(f"{name} must be a string")
        if not self.citizen or not self.client_id:
            raise _bad("citizen and client_id must not be empty")
        if self.action not in ACTIONS:
            raise _bad(f"unknown action {self.action!r}")
        for name in ("procedure", "purpose"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise _bad(f"{name} must be a string or None")
        if not isinstance(self.attributes, tuple) or not all(
                isinstance(a, str) for a in self.attributes):
            raise _bad("attributes must be a tuple of names")


def _as_json(entry: AccessEntry) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(entry, name) for name in _FIELDS}
    values["attributes"] = list(entry.attributes)
    return values


def canonical_bytes(entry: AccessEntry) -> bytes:
    """The entry as hashed and stored: sorted-key compact JSON, UTF-8 (not ASCII-escaped)."""
    return json.dumps(_as_json(entry), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def entry_from_bytes(data: bytes) -> AccessEntry:
    """Read back :func:`canonical_bytes` (as a store keeps them).

    :raises AuditError: ``invalid_entry`` when ``data`` is not an entry's canonical bytes
        (changed, truncated, extra or missing fields, not canonical).
    """
    try:
        values = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad("not JSON") from exc
    if not isinstance(values, dict) or set(values) != set(_FIELDS):
        raise _bad("not the fields of an entry")
    if not isinstance(values["attributes"], list):
        raise _bad("attributes must be a list")
    entry = AccessEntry(**{**values, "attributes": tuple(values["attributes"])})
    # A reformatted copy would parse but hash differently: it is not the logged entry.
    if canonical_bytes(entry) != data:
        raise _bad("not in canonical form")
    return entry
