"""The dossier: one self-contained file a portal forwards to a receiving office.

A dossier (JSON) holds a filed procedure: the values of every field, each marked
``registry`` (state-held, proven by the presentation) or ``citizen`` (typed by the
citizen, or account data the registry does not hold), and an SD-JWT presentation
(RFC 9901) of the citizen's credential that discloses exactly the claims the
registry fields draw on, with a Key Binding JWT by the sending portal (the
credential's holder) addressed to the receiving office. The KB-JWT's ``nonce`` is
:func:`dossier_nonce`: a hash of everything in the dossier but the registry values
and the presentation, so neither a typed value nor the filing it belongs to can be
changed or swapped without the office seeing it.

    {"dossier": "urn:eid:vn:dossier:1", "filing": "HS-...", "procedure": "ct01",
     "submitted_at": "2026-12-01T13:40:00Z", "portal": "cong-dvc-hcm",
     "issuer": "https://login...", "audience": "https://office...",
     "forms": {"ct01": {"full_name": {"value": "...", "source": "registry"}, ...}},
     "presentation": "<jwt>~<disclosure>~...~<kb-jwt>"}

:func:`parse_dossier` reads a file as hostile input (size cap, strict JSON, every
member's type); :mod:`eid.credentials.dossier_verify` checks it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from eid.errors import DataError, TokenError
from eid.prefill import Catalogue, Form
from eid.verify._codec import b64url_encode, json_object

__all__ = [
    "DOSSIER_TYPE",
    "MAX_DOSSIER_BYTES",
    "Dossier",
    "DossierField",
    "dossier_nonce",
    "parse_dossier",
    "registry_claims",
]

#: The ``dossier`` member: what the file is, and its version.
DOSSIER_TYPE: Final = "urn:eid:vn:dossier:1"
#: A filing with a household table and its presentation is a few tens of KB.
MAX_DOSSIER_BYTES: Final = 256 * 1024
_MAX_TEXT: Final = 2000
_MAX_ROWS: Final = 50
_MAX_FIELDS: Final = 200
_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}").fullmatch
_REFERENCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}").fullmatch
_SOURCES: Final = ("registry", "citizen")
_SOURCE = "dossier"

Source = Literal["registry", "citizen"]
#: A field's value: text, or a table's rows (column id → text).
Value = str | list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class DossierField:
    """One filed field: its value and where it came from."""

    value: Value
    source: Source


@dataclass(frozen=True, slots=True)
class Dossier:
    """A parsed dossier (members as in the module docstring)."""

    filing: str
    procedure: str
    submitted_at: str
    portal: str
    issuer: str
    audience: str
    #: form id → field id → field, in the file's order.
    forms: dict[str, dict[str, DossierField]]
    presentation: str

    def as_json(self) -> dict[str, Any]:
        """The dossier as the JSON object of the file."""
        return {"dossier": DOSSIER_TYPE, "filing": self.filing, "procedure": self.procedure,
                "submitted_at": self.submitted_at, "portal": self.portal,
                "issuer": self.issuer, "audience": self.audience,
                "forms": {fid: {k: {"value": f.value, "source": f.source}
                                for k, f in fields.items()}
                          for fid, fields in self.forms.items()},
                "presentation": self.presentation}

    def to_bytes(self) -> bytes:
        """The file's bytes (UTF-8 JSON)."""
        return json.dumps(self.as_json(), ensure_ascii=False, indent=1).encode("utf-8")


def dossier_nonce(dossier: Dossier) -> str:
    """The KB-JWT ``nonce`` binding the presentation to this dossier: base64url of the
    SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8) of every member but the
    presentation and the registry text values (those the Disclosures prove).

    Bound too: the list of registry fields (turning one into a typed field changes the
    nonce) and the registry tables' rows, which are the citizen's choice among the
    registry's rows (CT01 item 11: the household members who move together), so a row
    dropped or added on the way is seen like an edited typed value.
    """
    typed = {fid: {k: f.value for k, f in fields.items() if f.source == "citizen"}
             for fid, fields in dossier.forms.items()}
    chosen = {fid: {k: f.value for k, f in fields.items()
                    if f.source == "registry" and isinstance(f.value, list)}
              for fid, fields in dossier.forms.items()}
    registry = {fid: sorted(k for k, f in fields.items() if f.source == "registry")
                for fid, fields in dossier.forms.items()}
    bound = {"dossier": DOSSIER_TYPE, "filing": dossier.filing,
             "procedure": dossier.procedure, "submitted_at": dossier.submitted_at,
             "portal": dossier.portal, "issuer": dossier.issuer,
             "audience": dossier.audience, "typed": typed, "registry": registry,
             "chosen_rows": chosen}
    canonical = json.dumps(bound, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def registry_claims(form: Form, field_ids: Iterable[str], catalogue: Catalogue) -> set[str]:
    """The claim names the fields ``field_ids`` of ``form`` draw on (what a presentation
    for them discloses). Unknown field ids draw on nothing."""
    wanted = set(field_ids)
    return {catalogue.attributes[a].claim for f in form.fields if f.id in wanted
            for a in f.source.attributes}


# --- reading a file ----------------------------------------------------------------------
def _invalid(message: str, where: str | None = None) -> DataError:
    return DataError(message, source=_SOURCE, field=where, code="dossier_invalid")


def _text(doc: Mapping[str, Any], name: str, *, limit: int = 512) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise _invalid(f"must be a non-empty string of at most {limit} characters", name)
    return value


def _value(raw: Any, where: str) -> Value:
    if isinstance(raw, str):
        if len(raw) > _MAX_TEXT:
            raise _invalid("is too long", where)
        return raw
    if not isinstance(raw, list) or len(raw) > _MAX_ROWS:
        raise _invalid(f"must be text or a list of at most {_MAX_ROWS} rows", where)
    rows: list[dict[str, str]] = []
    for i, row in enumerate(raw):
        if not isinstance(row, dict) or len(row) > 32 or not all(
                isinstance(k, str) and _ID(k) and isinstance(v, str) and len(v) <= _MAX_TEXT
                for k, v in row.items()):
            raise _invalid("must map column ids to text", f"{where}[{i}]")
        rows.append(dict(row))
    return rows


def _forms(raw: Any) -> dict[str, dict[str, DossierField]]:
    if not isinstance(raw, dict) or not 0 < len(raw) <= 8:
        raise _invalid("must be an object of one to eight forms", "forms")
    forms: dict[str, dict[str, DossierField]] = {}
    count = 0
    for form_id, fields in raw.items():
        where = f"forms.{form_id}"
        if not _ID(form_id) or not isinstance(fields, dict):
            raise _invalid("must be a form id with an object of fields", where)
        forms[form_id] = {}
        for field_id, entry in fields.items():
            here = f"{where}.{field_id}"
            count += 1
            if count > _MAX_FIELDS:
                raise _invalid(f"more than {_MAX_FIELDS} fields", "forms")
            if not _ID(field_id) or not isinstance(entry, dict) \
                    or set(entry) != {"value", "source"}:
                raise _invalid("must be a field id with exactly value and source", here)
            if entry["source"] not in _SOURCES:
                raise _invalid("source must be registry or citizen", f"{here}.source")
            forms[form_id][field_id] = DossierField(_value(entry["value"], f"{here}.value"),
                                                    entry["source"])
    return forms


_MEMBERS: Final = frozenset({"dossier", "filing", "procedure", "submitted_at", "portal",
                             "issuer", "audience", "forms", "presentation"})


def parse_dossier(data: bytes | str) -> Dossier:
    """Read a dossier file.

    :raises DataError: ``dossier_too_large`` (over :data:`MAX_DOSSIER_BYTES`, checked
        before parsing), ``dossier_not_json`` (not strict UTF-8 JSON: duplicate members,
        NaN, lone surrogates, nesting too deep), ``dossier_invalid`` (another type or
        version, a missing or unknown member, a member of the wrong type or size;
        ``field`` names it).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_DOSSIER_BYTES:
        raise DataError(f"the file exceeds {MAX_DOSSIER_BYTES} bytes", source=_SOURCE,
                        code="dossier_too_large")
    try:
        doc = json_object(raw, "dossier")
    except TokenError as exc:
        raise DataError(f"not a JSON object ({exc.code})", source=_SOURCE,
                        code="dossier_not_json") from exc
    if doc.get("dossier") != DOSSIER_TYPE:
        raise _invalid(f"is not {DOSSIER_TYPE}", "dossier")
    unknown = set(doc) - _MEMBERS
    if unknown:
        raise _invalid("unknown member", sorted(unknown)[0][:64])
    filing = _text(doc, "filing", limit=64)
    if not _REFERENCE(filing):
        raise _invalid("is not a filing reference", "filing")
    procedure = _text(doc, "procedure", limit=64)
    if not _ID(procedure):
        raise _invalid("is not a procedure id", "procedure")
    presentation = _text(doc, "presentation", limit=MAX_DOSSIER_BYTES)
    if not presentation.isascii():
        raise _invalid("is not an SD-JWT", "presentation")
    return Dossier(filing, procedure, _text(doc, "submitted_at", limit=64),
                   _text(doc, "portal"), _text(doc, "issuer"), _text(doc, "audience"),
                   _forms(doc.get("forms")), presentation)
