"""Turning a submitted form back into values with provenance.

Locked (verified) values are taken from the fresh prefill, never from the
request: a citizen cannot alter state-held data by editing the HTML. Values the
citizen typed, or changed in an editable prefilled field, are marked ``user``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eid.prefill import FieldValue, Form, PrefillResult

__all__ = ["collect"]

_MAX_TEXT = 500
_MAX_ROWS = 20
_ROW_KEY = re.compile(r"\[(\d{1,2})\]\.([a-z0-9_]{1,40})")


def _text(posted: Mapping[str, str], name: str) -> str:
    return str(posted.get(name, "")).strip()[:_MAX_TEXT]


def _rows(posted: Mapping[str, str], name: str) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key in posted:
        if key.startswith(name + "["):
            m = _ROW_KEY.fullmatch(key[len(name):])
            if m and int(m.group(1)) < _MAX_ROWS:
                rows.setdefault(int(m.group(1)), {})[m.group(2)] = _text(posted, key)
    return [rows[i] for i in sorted(rows) if any(rows[i].values())]


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
            prefilled = fv.value or []
            unchanged = fv.source == "population_db" and value == [
                {k: "" if v is None else str(v) for k, v in row.items()} for row in prefilled]
        else:
            value = _text(posted, name)
            unchanged = fv.source == "population_db" and value == ("" if fv.value is None
                                                                  else str(fv.value))
        values[fv.id] = _entry(fv, value, "population_db" if unchanged else "user")
        if field.required and not value:
            missing.append(fv.id)
    return values, missing
