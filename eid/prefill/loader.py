"""The one loader of prefill data: the scope catalogue and the form definitions.

Files are JSON, checked by hand against their schema when loaded (no schema
library: the checks are few, and the errors must name the file and the field
id, which is what a form author needs). The first failure raises
:class:`~eid.errors.DataError` with ``source`` the file and ``field`` the
place (``"<field id>.<key>"`` in a form); ``code`` is one of
``bad_encoding``, ``bad_json``, ``bad_shape``, ``unknown_key``, ``duplicate_id``,
``unknown_attribute``, ``bad_claim``, ``unknown_source``, ``unknown_format``,
``format_mismatch``, ``unknown_form``; a file or folder that is not there is a
:class:`~eid.errors.DataFileMissing` (``data_file_missing``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, get_args

from eid.datafiles import fixture_path, read_json
from eid.errors import ConfigurationError, DataError, DataFileMissing
from eid.prefill.attributes import EXTRACTORS
from eid.prefill.catalogue import CLAIM_NAMESPACE, Attribute, AttributeType, Catalogue, Scope
from eid.prefill.engine import compile_form
from eid.prefill.formats import FORMAT_TYPES, FORMATS
from eid.prefill.forms import PERSON_PARTS, Column, Field, Form, Procedure, parse_source

__all__ = [
    "default_catalogue",
    "default_catalogue_path",
    "default_forms_dir",
    "load_catalogue",
    "load_form",
    "load_forms",
]

Path_ = str | os.PathLike[str]
# OIDC Core §5.1 names this catalogue may use; anything else must carry the namespace.
_STANDARD_CLAIMS = frozenset({"name", "birthdate", "gender", "address", "phone_number", "email"})
_ATTR_TYPES: tuple[str, ...] = get_args(AttributeType)


def default_catalogue_path() -> Path:
    """The shipped catalogue (``fixtures/scopes.json`` in the repository)."""
    return fixture_path("scopes.json")


def default_forms_dir() -> Path:
    """The shipped forms (``fixtures/forms/`` in the repository)."""
    return fixture_path("forms")


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once.

    :raises DataFileMissing: the shipped file is not installed.
    :raises DataError: the shipped file is invalid.
    """
    return load_catalogue(default_catalogue_path())


class _Reader:
    """Shape checks for one file; every error names the file."""

    def __init__(self, path: Path) -> None:
        self.source = str(path)

    def fail(self, field: str | None, message: str, code: str) -> DataError:
        return DataError(message, source=self.source, field=field, code=code)

    def read(self, path: Path) -> dict[str, Any]:
        return self.obj(read_json(path), None)

    def obj(self, value: Any, where: str | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object", "bad_shape")
        return value

    def keys(
        self, rec: Mapping[str, Any], where: str | None, required: set[str], optional: set[str]
    ) -> None:
        missing = required - rec.keys()
        if missing:
            raise self.fail(_at(where, min(missing)), "required", "bad_shape")
        extra = rec.keys() - required - optional
        if extra:
            raise self.fail(_at(where, min(extra)), "unknown key", "unknown_key")

    def str_(self, rec: Mapping[str, Any], key: str, where: str | None) -> str:
        value = rec.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_at(where, key), "must be a non-empty string", "bad_shape")
        return value

    def bool_(self, rec: Mapping[str, Any], key: str, where: str | None, default: bool) -> bool:
        value = rec.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_at(where, key), "must be true or false", "bad_shape")
        return value

    def list_(self, rec: Mapping[str, Any], key: str, where: str | None) -> list[Any]:
        value = rec.get(key, [])
        if not isinstance(value, list):
            raise self.fail(_at(where, key), "must be a list", "bad_shape")
        return value

    def unique(self, seen: set[str], value: str, where: str) -> None:
        if value in seen:
            raise self.fail(where, f"duplicate id {value!r}", "duplicate_id")
        seen.add(value)


def _at(where: str | None, key: str) -> str:
    return f"{where}.{key}" if where else key


_LABELS = {"label_vi", "label_en"}


def load_catalogue(path: Path_) -> Catalogue:
    """Load and check a scope catalogue.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: the file is invalid (see the module docstring).
    """
    path = Path(path)
    r = _Reader(path)
    top = r.read(path)
    r.keys(top, None, {"attributes", "scopes"}, {"namespace"})
    namespace = top.get("namespace", CLAIM_NAMESPACE)
    if namespace != CLAIM_NAMESPACE:
        raise r.fail("namespace", f"must be {CLAIM_NAMESPACE!r}", "bad_claim")
    attributes: dict[str, Attribute] = {}
    claims: set[str] = set()
    for i, raw in enumerate(r.list_(top, "attributes", None)):
        rec = r.obj(raw, f"attributes[{i}]")
        where = f"attributes.{rec.get('id', i)}"
        r.keys(rec, where, {"id", "claim", "type", "verified", *_LABELS}, set())
        attr_id, claim, kind = r.str_(rec, "id", where), r.str_(rec, "claim", where), rec["type"]
        if attr_id not in EXTRACTORS:
            raise r.fail(where, "no extractor knows this attribute", "unknown_attribute")
        if kind not in _ATTR_TYPES:
            raise r.fail(f"{where}.type", f"unknown type {kind!r}", "bad_shape")
        if claim not in _STANDARD_CLAIMS and not claim.startswith(CLAIM_NAMESPACE):
            raise r.fail(f"{where}.claim", f"{claim!r} is not standard nor namespaced", "bad_claim")
        if attr_id in attributes:
            raise r.fail(where, f"duplicate id {attr_id!r}", "duplicate_id")
        r.unique(claims, claim, f"{where}.claim")
        attributes[attr_id] = Attribute(
            attr_id, claim, kind, r.bool_(rec, "verified", where, True),
            r.str_(rec, "label_vi", where), r.str_(rec, "label_en", where),
        )  # fmt: skip
    scopes: dict[str, Scope] = {}
    for i, raw in enumerate(r.list_(top, "scopes", None)):
        rec = r.obj(raw, f"scopes[{i}]")
        where = f"scopes.{rec.get('id', i)}"
        r.keys(rec, where, {"id", "attributes", *_LABELS, "description_vi", "description_en"},
               {"standard"})  # fmt: skip
        scope_id = r.str_(rec, "id", where)
        attrs = r.list_(rec, "attributes", where)
        for a in attrs:
            if a not in attributes:
                raise r.fail(f"{where}.attributes", f"unknown attribute {a!r}", "unknown_attribute")
        if scope_id in scopes:
            raise r.fail(where, f"duplicate id {scope_id!r}", "duplicate_id")
        scopes[scope_id] = Scope(
            scope_id, tuple(attrs), r.str_(rec, "label_vi", where), r.str_(rec, "label_en", where),
            r.str_(rec, "description_vi", where), r.str_(rec, "description_en", where),
            r.bool_(rec, "standard", where, False),
        )  # fmt: skip
    if "openid" not in scopes:
        raise r.fail("scopes", "the openid scope is missing", "bad_shape")
    return Catalogue(scopes, attributes)


def _field(r: _Reader, raw: Any, i: int, catalogue: Catalogue) -> Field:
    rec = r.obj(raw, f"fields[{i}]")
    fid = r.str_(rec, "id", f"fields[{i}]")
    r.keys(rec, fid, {"id", "source", "format", "required", *_LABELS},
           {"lock", "columns", "note", "choose"})
    try:
        source = parse_source(r.str_(rec, "source", fid), catalogue)
    except ConfigurationError as exc:
        raise r.fail(f"{fid}.source", exc.message, "unknown_source") from exc
    fmt = r.str_(rec, "format", fid)
    if fmt not in FORMATS and fmt != "table":
        raise r.fail(f"{fid}.format", f"unknown format {fmt!r}", "unknown_format")
    allowed = FORMAT_TYPES.get(source.type, frozenset())
    if (fmt == "table" and source.is_user) or not (source.is_user or fmt in allowed):
        raise r.fail(f"{fid}.format", f"{fmt!r} cannot show {source.path!r}", "format_mismatch")
    columns: list[Column] = []
    seen: set[str] = set()
    for j, rawc in enumerate(r.list_(rec, "columns", fid)):
        c = r.obj(rawc, f"{fid}.columns[{j}]")
        cid = r.str_(c, "id", f"{fid}.columns[{j}]")
        where = f"{fid}.columns.{cid}"
        r.keys(c, where, {"id", "part", "format", *_LABELS}, set())
        r.unique(seen, cid, where)
        part, cfmt = r.str_(c, "part", where), r.str_(c, "format", where)
        if part not in PERSON_PARTS:
            raise r.fail(f"{where}.part", f"unknown part {part!r}", "unknown_source")
        if cfmt not in FORMATS:
            raise r.fail(f"{where}.format", f"unknown format {cfmt!r}", "unknown_format")
        if cfmt not in FORMAT_TYPES[PERSON_PARTS[part][1]]:
            raise r.fail(f"{where}.format", f"{cfmt!r} cannot show {part!r}", "format_mismatch")
        columns.append(Column(cid, r.str_(c, "label_vi", where), r.str_(c, "label_en", where),
                              part, cfmt))  # fmt: skip
    if fmt == "table" and not columns:
        raise r.fail(f"{fid}.columns", "a table needs columns", "bad_shape")
    choose = r.bool_(rec, "choose", fid, False)
    if choose and (fmt != "table" or r.bool_(rec, "lock", fid, True)):
        raise r.fail(f"{fid}.choose", "only an unlocked table has chosen rows", "bad_shape")
    return Field(
        fid, r.str_(rec, "label_vi", fid), r.str_(rec, "label_en", fid), source, fmt,
        r.bool_(rec, "required", fid, False), r.bool_(rec, "lock", fid, True), tuple(columns),
        choose,
    )  # fmt: skip


_TOP = {"id", "kind", "title_vi", "title_en", "legal_basis"}


def _form(r: _Reader, top: dict[str, Any], catalogue: Catalogue) -> Form:
    r.keys(top, None, {*_TOP, "fields"}, set())
    fields: list[Field] = []
    seen: set[str] = set()
    for i, raw in enumerate(r.list_(top, "fields", None)):
        f = _field(r, raw, i, catalogue)
        r.unique(seen, f.id, f.id)
        fields.append(f)
    if not fields:
        raise r.fail("fields", "a form needs fields", "bad_shape")
    form = Form(
        r.str_(top, "id", None),
        r.str_(top, "title_vi", None),
        r.str_(top, "title_en", None),
        r.str_(top, "legal_basis", None),
        tuple(fields),
    )
    return compile_form(form, catalogue)


def load_form(path: Path_, catalogue: Catalogue | None = None) -> Form:
    """Load and check one form file (``"kind": "form"``).

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: the file is invalid (see the module docstring).
    """
    path = Path(path)
    r = _Reader(path)
    top = r.read(path)
    if top.get("kind") != "form":
        raise r.fail("kind", "must be \"form\"", "bad_shape")
    return _form(r, top, catalogue or default_catalogue())


def load_forms(
    directory: Path_ | None = None, catalogue: Catalogue | None = None
) -> tuple[dict[str, Form], dict[str, Procedure]]:
    """Load every ``*.json`` of a forms directory: forms first, then procedures over them.

    A procedure file (``"kind": "procedure"``) lists forms by id; ``user_fields``
    turns fields the form would prefill into user input for this procedure (in
    the chained birth procedure CT01 is the newborn's, so the person fields are
    the child's, entered by the parent).

    :raises DataFileMissing: the folder or a file in it is absent or unreadable.
    :raises DataError: a file is invalid, a procedure names an unknown form or field.
    """
    catalogue = catalogue or default_catalogue()
    folder = Path(directory or default_forms_dir())
    if not folder.is_dir():  # glob() would find nothing and load no form, silently
        raise DataFileMissing("not a folder of forms", source=str(folder))
    forms: dict[str, Form] = {}
    procedure_files: list[tuple[_Reader, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")):
        r = _Reader(path)
        top = r.read(path)
        kind = top.get("kind")
        if kind == "procedure":
            procedure_files.append((r, top))
            continue
        if kind != "form":
            raise r.fail("kind", "must be \"form\" or \"procedure\"", "bad_shape")
        form = _form(r, top, catalogue)
        if form.id in forms:
            raise r.fail("id", f"duplicate form id {form.id!r}", "duplicate_id")
        forms[form.id] = form
    procedures: dict[str, Procedure] = {}
    for r, top in procedure_files:
        proc = _procedure(r, top, forms, catalogue)
        if proc.id in procedures or proc.id in forms:
            raise r.fail("id", f"duplicate id {proc.id!r}", "duplicate_id")
        procedures[proc.id] = proc
    return forms, procedures


def _procedure(
    r: _Reader, top: dict[str, Any], forms: Mapping[str, Form], catalogue: Catalogue
) -> Procedure:
    r.keys(top, None, {*_TOP, "forms"}, set())
    user = parse_source("user", catalogue)
    members: list[Form] = []
    for i, raw in enumerate(r.list_(top, "forms", None)):
        rec = r.obj(raw, f"forms[{i}]")
        r.keys(rec, f"forms[{i}]", {"form"}, {"user_fields"})
        form_id = r.str_(rec, "form", f"forms[{i}]")
        if form_id not in forms:
            raise r.fail(f"forms.{form_id}", "no such form", "unknown_form")
        form = forms[form_id]
        ids = {f.id for f in form.fields}
        to_user: set[str] = set()
        for fid in r.list_(rec, "user_fields", f"forms.{form_id}"):
            if not isinstance(fid, str) or fid not in ids:
                raise r.fail(f"{form_id}.{fid}", "no such field", "unknown_form")
            to_user.add(fid)
        # A table turned into user input becomes free text (no person list to show).
        fields = tuple(
            Field(f.id, f.label_vi, f.label_en, user,
                  "text" if f.format == "table" else f.format, f.required, f.lock)
            if f.id in to_user else f
            for f in form.fields
        )  # fmt: skip
        member = Form(form.id, form.title_vi, form.title_en, form.legal_basis, fields)
        members.append(compile_form(member, catalogue))
    return Procedure(r.str_(top, "id", None), r.str_(top, "title_vi", None),
                     r.str_(top, "title_en", None), r.str_(top, "legal_basis", None),
                     tuple(members))  # fmt: skip
