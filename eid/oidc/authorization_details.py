"""Rich Authorization Requests (RFC 9396) of the one type this provider defines: ``vn_procedure``.

A portal names the administrative procedure it serves, so that the citizen's
consent and every later release of data are bound to that purpose::

    [{"type": "vn_procedure",
      "procedure": "ct01",
      "attributes": ["profile", "id_number", "contact", "household"]}]

* ``procedure``: a code of the procedure list (``fixtures/portal-procedures.json``)
  that the client registered (client metadata ``procedures``);
* ``attributes``: the catalogue's attribute scopes the procedure needs, each
  registered for the client; requesting them here requests them (RFC 9396 §3.1:
  ``scope`` and ``authorization_details`` are considered together, the granted
  scopes are the union). They are not capped by the procedure list's ``scopes``:
  those are what a portal asks first, and a form's optional fields may ask more
  on a step-up (the birth registration's ``origin``).

Refused rather than ignored (RFC 9396 §5: a known type with unknown fields is
``invalid_authorization_details``): every member but these three, including the
common fields of §2.2. ``locations`` could only name this provider's own
userinfo, ``actions`` only "read", and ``identifier``/``datatypes``/``privileges``
mean nothing here: a portal that sent them would believe it had narrowed
something that is not narrowed. One object per request: a login serves one
procedure, and the release log records one procedure per release.

Framework-free: the provider passes the parsed JSON value (the size and depth
caps are the parameter parser's) and what the procedure list allows.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import InvalidAuthorizationDetails
from eid.oidc.clients import AUTHORIZATION_DETAILS_TYPES, Client

__all__ = [
    "AUTHORIZATION_DETAILS_TYPES",
    "MAX_ATTRIBUTES",
    "VN_PROCEDURE",
    "ProcedureDetail",
    "granted_procedure",
    "parse_authorization_details",
    "procedure_request",
]

#: The ``type`` this provider defines (RFC 9396 §2, §10 ``authorization_details_types``).
VN_PROCEDURE: Final = AUTHORIZATION_DETAILS_TYPES[0]
#: More attributes than the catalogue has scopes is never a real request.
MAX_ATTRIBUTES: Final = 32
_MEMBERS: Final = frozenset({"type", "procedure", "attributes"})
_MAX_CODE: Final = 64


@dataclass(frozen=True, slots=True)
class ProcedureDetail:
    """One validated ``vn_procedure`` object."""

    procedure: str
    attributes: tuple[str, ...]

    def to_json(self, scopes: frozenset[str] | None = None) -> dict[str, Any]:
        """The object as granted (RFC 9396 §7); ``scopes``: keep only the attributes a
        token narrowed to these scopes still carries."""
        kept = [a for a in self.attributes if scopes is None or a in scopes]
        return {"type": VN_PROCEDURE, "procedure": self.procedure, "attributes": kept}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ProcedureDetail:
        """Back from what :meth:`to_json` stored (the provider's own data)."""
        return cls(str(doc["procedure"]), tuple(str(a) for a in doc["attributes"]))


#: Scopes that are no attribute of a procedure: the login itself, and refresh tokens.
_NOT_ATTRIBUTES: Final = frozenset({"openid", "offline_access"})


def procedure_request(procedure: str, scopes: Iterable[str]) -> str:
    """The ``authorization_details`` parameter naming ``procedure`` (the portal side):
    its attributes are the requested ``scopes`` that release data."""
    attributes = [s for s in dict.fromkeys(scopes) if s not in _NOT_ATTRIBUTES]
    return json.dumps([{"type": VN_PROCEDURE, "procedure": procedure, "attributes": attributes}],
                      separators=(",", ":"))


def granted_procedure(details: object) -> str | None:
    """The procedure code a token response's ``authorization_details`` grants (RFC 9396 §7),
    or ``None`` when it names none (the portal side: anything malformed names none)."""
    if not isinstance(details, list):
        return None
    for doc in details:
        if isinstance(doc, dict) and doc.get("type") == VN_PROCEDURE \
                and isinstance(doc.get("procedure"), str):
            return str(doc["procedure"])
    return None


def _fail(message: str) -> InvalidAuthorizationDetails:
    return InvalidAuthorizationDetails(f"authorization_details: {message}")


def parse_authorization_details(value: object, client: Client, procedures: Collection[str]
                                ) -> ProcedureDetail | None:
    """Validate the decoded ``authorization_details`` of ``client``'s request (RFC 9396 §2, §5).

    ``procedures``: the known procedure codes. ``None`` (parameter absent) and ``[]``
    name no procedure.

    :raises InvalidAuthorizationDetails: not an array of objects, more than one object,
        an unknown type or member, a missing or mistyped member, a procedure the
        client is not registered for, attributes beyond the client's scopes.
    """
    if value is None:
        return None
    if not isinstance(value, list):
        raise _fail("must be a JSON array (RFC 9396 §2)")
    if not value:
        return None
    if not all(isinstance(item, dict) for item in value):
        raise _fail("every element must be a JSON object")
    if any(item.get("type") != VN_PROCEDURE for item in value):
        raise _fail(f"unknown type; supported: {VN_PROCEDURE}")
    if VN_PROCEDURE not in client.authorization_details_types:
        raise _fail(f"this client is not registered for {VN_PROCEDURE}")
    if len(value) > 1:
        raise _fail("one vn_procedure per request")
    item: dict[str, Any] = value[0]
    unknown = sorted(set(item) - _MEMBERS)
    if unknown:
        raise _fail(f"unknown members of vn_procedure: {', '.join(unknown)}")
    code, attributes = item.get("procedure"), item.get("attributes")
    if not isinstance(code, str) or not code or len(code) > _MAX_CODE:
        raise _fail("procedure must be a procedure code")
    if code not in procedures or code not in client.procedures:
        # One answer for unknown codes and codes of other portals: a client learns
        # nothing about other registrations.
        raise _fail(f"procedure {code!r} is not registered for this client")
    if not isinstance(attributes, list) or not attributes \
            or not all(isinstance(a, str) for a in attributes) \
            or len(attributes) > MAX_ATTRIBUTES or len(set(attributes)) != len(attributes):
        raise _fail("attributes must be a non-empty array of distinct scope names")
    if set(attributes) & _NOT_ATTRIBUTES:
        raise _fail("openid and offline_access are no attributes")
    beyond_client = sorted(set(attributes) - client.scopes)
    if beyond_client:
        raise _fail(f"attributes not registered for this client: {', '.join(beyond_client)}")
    return ProcedureDetail(code, tuple(attributes))
