"""Rendering a prefill result: JSON for APIs, an HTML fragment for portals.

The HTML is a fragment (no page, no ``<form>`` element: the portal owns those
and their CSRF token). Every text, label, value and attribute is escaped.
Labels are Vietnamese unless ``lang="en"``; values stay as the form writes
them. Locked fields are ``readonly`` (not ``disabled``, which would keep them
out of the submission); each field carries ``data-source`` and
``data-status`` so the portal can show provenance.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from eid.prefill.forms import Field, Form, Procedure
from eid.prefill.results import FieldValue, PrefillResult, ProcedureResult

__all__ = ["render_html", "render_procedure_html", "to_json"]

_NOTES = {
    "vi": {
        "withheld": "Chưa được chia sẻ: cần bạn đồng ý chia sẻ",
        "not_in_record": "Cơ sở dữ liệu không có thông tin này",
        "unknown_in_record": "Cơ sở dữ liệu ghi là không rõ",
        "empty_in_record": "Cơ sở dữ liệu để trống",
        "invalid_claim": "Dữ liệu nhận được không hợp lệ",
        "partial_date": "Chỉ biết một phần ngày sinh",
        "required": "bắt buộc",
    },
    "en": {
        "withheld": "Not shared: needs your consent to share",
        "not_in_record": "The database holds no value",
        "unknown_in_record": "The database records this as unknown",
        "empty_in_record": "The database holds an empty value",
        "invalid_claim": "The value received is invalid",
        "partial_date": "Only part of the date is known",
        "required": "required",
    },
}


def to_json(result: PrefillResult | ProcedureResult, *, indent: int | None = None) -> str:
    """The result as JSON text (UTF-8 characters kept, not ``\\u`` escaped)."""
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=indent)


def _note(value: FieldValue, notes: dict[str, str], form: Form, lang: str) -> str:
    if value.status == "withheld":
        # The consent that would release it, by the catalogue's label (never the scope id).
        labels = ", ".join(f"“{form.scope_label(s, lang)}”" for s in value.withheld_by)
        text = f"{notes['withheld']} {labels}"
    elif value.reason:
        text = notes.get(value.reason, value.reason)
    else:
        return ""
    return f'<small class="eid-note">{escape(text)}</small>'


def _attrs(value: FieldValue) -> str:
    return (
        f' data-source="{escape(value.source)}" data-status="{escape(value.status)}"'
        + (" readonly" if value.locked else "")
    )


def _text(field: Field, value: FieldValue, notes: dict[str, str], prefix: str,
          note: str) -> str:
    text = "" if value.value is None else str(value.value)
    name = escape(prefix + field.id)
    required = " required" if field.required and not value.locked else ""
    if field.format == "id_number_boxes" and value.value is not None:
        boxes = "".join(f'<span class="eid-box">{escape(d)}</span>' for d in text)
        widget = f'<span class="eid-boxes">{boxes}</span>'
        inp = f'<input type="hidden" name="{name}" value="{escape(text)}">'
        return widget + inp + note
    # The paper form's own date shape (CT01 item 2), so what the citizen types matches it.
    hint = ' placeholder="dd/mm/yyyy"' if field.format == "date_ddmmyyyy" and not text else ""
    return (
        f'<input type="text" id="eid-{name}" name="{name}" value="{escape(text)}"'
        f"{_attrs(value)}{required}{hint}>" + note
    )


def _table(field: Field, value: FieldValue, lang: str, prefix: str, note: str) -> str:
    head = "".join(
        f"<th>{escape(c.label_en if lang == 'en' else c.label_vi)}</th>" for c in field.columns
    )
    rows: list[str] = []
    for i, row in enumerate(value.value or []):
        cells = []
        for c in field.columns:
            cell: Any = row.get(c.id)
            text = "" if cell is None else str(cell)
            cells.append(
                f'<td><input type="text" name="{escape(f"{prefix}{field.id}[{i}].{c.id}")}"'
                f' value="{escape(text)}"{_attrs(value)}></td>'
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="eid-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>" + note
    )


def render_html(
    result: PrefillResult, form: Form, *, lang: str = "vi", prefix: str = ""
) -> str:
    """An HTML fragment of the prefilled ``form`` (labels in ``lang``: ``vi`` or ``en``).

    ``prefix`` goes before every input name and id, so several forms can share
    one HTML ``<form>`` (a chained procedure).

    :raises KeyError: ``result`` is not a result of ``form`` (a field is missing).
    """
    notes = _NOTES["en" if lang == "en" else "vi"]
    values = {v.id: v for v in result.fields}
    parts = [f'<section class="eid-form" data-form="{escape(form.id)}">',
             f"<h2>{escape(form.title(lang))}</h2>"]  # fmt: skip
    for field in form.fields:
        value = values[field.id]
        label = escape(field.label(lang))
        if field.required:
            label += f' <abbr title="{escape(notes["required"])}">*</abbr>'
        note = _note(value, notes, form, lang)
        widget = (
            _table(field, value, lang, prefix, note)
            if field.format == "table"
            else _text(field, value, notes, prefix, note)
        )
        parts.append(
            f'<div class="eid-field eid-{escape(value.status)}">'
            f'<label for="eid-{escape(prefix + field.id)}">{label}</label>{widget}</div>'
        )
    parts.append("</section>")
    return "".join(parts)


def render_procedure_html(
    result: ProcedureResult, procedure: Procedure, *, lang: str = "vi"
) -> str:
    """HTML fragments of every form of a chained procedure, under its title."""
    forms = {f.id: f for f in procedure.forms}
    body = "".join(
        render_html(r, forms[r.form_id], lang=lang, prefix=f"{r.form_id}.") for r in result.forms
    )
    return (
        f'<article class="eid-procedure" data-procedure="{escape(procedure.id)}">'
        f"<h1>{escape(procedure.title(lang))}</h1>{body}</article>"
    )
