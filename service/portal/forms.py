"""Turning a submitted form back into values with provenance.

Locked (verified) values are taken from the fresh prefill, never from the
request: a citizen cannot alter state-held data by editing the HTML. Values the
citizen typed, or changed in an editable prefilled field, are marked ``user``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eid.prefill import ACTION_FIELD, FieldValue, Form, PrefillResult

__all__ = ["collect", "entered", "table_action"]

_MAX_TEXT = 500
_MAX_ROWS = 20
_ROW_KEY = re.compile(r"\[(\d{1,2})\]\.([a-z0-9_]{1,40})")


def _text(posted: Mapping[str, str], name: str) -> str:
    return str(posted.get(name, "")).strip()[:_MAX_TEXT]


def _rows(posted: Mapping[str, str], name: str, *, blank: bool = False
          ) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in posted:
        if key.startswith(name + "["):
            m = _ROW_KEY.fullmatch(key[len(name):])
            if m and int(m.group(1)) < _MAX_ROWS:
                rows.setdefault(int(m.group(1)), {})[m.group(2)] = _text(posted, key)
    return [rows[i] for i in sorted(rows) if blank or any(rows[i].values())]


def entered(result: PrefillResult, form: Form, posted: Mapping[str, str], prefix: str = ""
            ) -> dict[str, Any]:
    """What the citizen entered so far in the fields they may edit (to show again):
    text by field id, a table's rows (blank ones kept: a row added to fill in)."""
    out: dict[str, Any] = {}
    fields = {f.id: f for f in form.fields}
    for fv in result.fields:
        field, name = fields[fv.id], prefix + fv.id
        if fv.locked:
            continue
        if field.format == "table":
            out[fv.id] = _rows(posted, name, blank=True)
        elif name in posted:
            out[fv.id] = _text(posted, name)
    return out


def table_action(result: PrefillResult, form: Form, posted: Mapping[str, str],
                 values: dict[str, Any], prefix: str = "") -> bool:
    """Apply the add/remove button pressed in a chosen table (``eid.prefill.ACTION_FIELD``:
    ``<field>:add`` the picked candidate, ``<field>:blank`` a row to fill in,
    ``<field>:remove:<row>``) to ``values`` (from :func:`entered`).

    :returns: whether the button was one of this form's (the page is shown again, not filed).
    """
    action = str(posted.get(ACTION_FIELD, ""))
    for fv, field in zip(result.fields, form.fields, strict=True):
        name = prefix + field.id
        if not field.choose or not action.startswith(name + ":"):
            continue
        verb, _, arg = action[len(name) + 1:].partition(":")
        rows: list[dict[str, str]] = values.setdefault(field.id, [])
        candidates = fv.value or []
        if verb == "add" and len(rows) < _MAX_ROWS:
            pick = str(posted.get(name + ".pick", ""))
            if pick.isdigit() and int(pick) < len(candidates):
                rows.append({c.id: _cell(candidates[int(pick)].get(c.id)) for c in field.columns})
        elif verb == "blank" and len(rows) < _MAX_ROWS:
            rows.append({c.id: "" for c in field.columns})
        elif verb == "remove" and arg.isdigit() and int(arg) < len(rows):
            del rows[int(arg)]
        return True
    return False


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _entry(fv: FieldValue, value: Any, source: str) -> dict[str, Any]:
    same = source == "population_db"
    return {"value": value, "source": source, "verified": fv.verified and same,
            "retrieved_at": fv.retrieved_at.isoformat() if same and fv.retrieved_at else None}


def collect(result: PrefillResult, form: Form, posted: Mapping[str, str], prefix: str = ""
            ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Values with provenance for every field, and the ids of required fields left empty."""
    fields = {f.id: f for f in form.fields}
    values: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for fv in result.fields:
        field = fields[fv.id]
        name = prefix + fv.id
        if fv.locked:
            values[fv.id] = _entry(fv, fv.value, "population_db")
            continue
        if field.format == "table":
            value: Any = _rows(posted, name)
            prefilled = [{k: _cell(v) for k, v in row.items()} for row in fv.value or []]
            # A chosen table is the registry's when every row is one of its candidates
            # unchanged; any other table when it is the registry's rows as they were.
            # Nobody chosen holds nothing from the registry: the citizen's own answer.
            unchanged = fv.source == "population_db" and (
                bool(value) and all(row in prefilled for row in value) if field.choose
                else value == prefilled)
        else:
            value = _text(posted, name)
            unchanged = fv.source == "population_db" and value == ("" if fv.value is None
                                                                  else str(fv.value))
        values[fv.id] = _entry(fv, value, "population_db" if unchanged else "user")
        if field.required and not value:
            missing.append(fv.id)
    return values, missing
