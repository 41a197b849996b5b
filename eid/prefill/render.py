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
from collections.abc import Mapping
from html import escape
from typing import Any, NamedTuple

from eid.prefill.forms import Field, Form, Procedure
from eid.prefill.results import FieldValue, PrefillResult, ProcedureResult

__all__ = ["ACTION_FIELD", "render_html", "render_procedure_html", "to_json"]

_NOTES = {
    "vi": {
        "withheld": "Chưa được chia sẻ: cần bạn đồng ý chia sẻ",
        "not_in_record": "Cơ sở dữ liệu không có thông tin này",
        "unknown_in_record": "Cơ sở dữ liệu ghi là không rõ",
        "empty_in_record": "Cơ sở dữ liệu để trống",
        "invalid_claim": "Dữ liệu nhận được không hợp lệ",
        "partial_date": "Chỉ biết một phần ngày sinh",
        "required": "bắt buộc",
        "row": "Dòng",
        "actions": "Thao tác",
        "pick": "Thêm người trong hộ",
        "add": "Thêm",
        "blank": "Thêm dòng để tự khai",
        "remove": "Xoá dòng",
        "none_chosen": "Chưa có ai. Chọn người trong hộ để thêm, hoặc thêm dòng để tự khai.",
    },
    "en": {
        "withheld": "Not shared: needs your consent to share",
        "not_in_record": "The database holds no value",
        "unknown_in_record": "The database records this as unknown",
        "empty_in_record": "The database holds an empty value",
        "invalid_claim": "The value received is invalid",
        "partial_date": "Only part of the date is known",
        "required": "required",
        "row": "Row",
        "actions": "Actions",
        "pick": "Add a household member",
        "add": "Add",
        "blank": "Add a row to fill in",
        "remove": "Remove row",
        "none_chosen": "Nobody yet. Choose a household member to add, or add a row to fill in.",
    },
}


class _Page(NamedTuple):
    lang: str
    notes: dict[str, str]
    prefix: str


def to_json(result: PrefillResult | ProcedureResult, *, indent: int | None = None) -> str:
    """The result as JSON text (UTF-8 characters kept, not ``\\u`` escaped)."""
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=indent)


def _note(
    value: FieldValue, notes: dict[str, str], form: Form, lang: str, note_id: str
) -> str:
    if value.status == "withheld":
        # The consent that would release it, by the catalogue's label (never the scope id).
        labels = ", ".join(f"“{form.scope_label(s, lang)}”" for s in value.withheld_by)
        text = f"{notes['withheld']} {labels}"
    elif value.reason:
        text = notes.get(value.reason, value.reason)
    else:
        return ""
    return f'<small class="eid-note" id="{escape(note_id)}">{escape(text)}</small>'


def _described(note: str, note_id: str, error_id: str | None) -> str:
    """The input's ``aria-invalid``/``aria-describedby`` attributes.

    WCAG 2.2 §3.3.1 and §1.3.1: a screen reader reads the note (why a value is missing)
    and the error that names the field when the field is focused.
    """
    ids = " ".join(escape(i) for i in (note_id if note else None, error_id) if i)
    return (' aria-invalid="true"' if error_id else "") + \
        (f' aria-describedby="{ids}"' if ids else "")


def _attrs(value: FieldValue) -> str:
    return (
        f' data-source="{escape(value.source)}" data-status="{escape(value.status)}"'
        + (" readonly" if value.locked else "")
    )


def _text(field: Field, value: FieldValue, page: _Page, note: str, entered: Any, *,
          aria: str = "") -> str:
    prefix = page.prefix
    text = "" if value.value is None else str(value.value)
    if isinstance(entered, str) and not value.locked:
        text = entered  # what the citizen typed, shown again (a round trip, an error)
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
        f"{_attrs(value)}{required}{hint}{aria}>" + note
    )


def _cells(field: Field, row: Mapping[str, Any], i: int, page: _Page, attrs: str) -> str:
    lang, notes, prefix = page
    cells = []
    for c in field.columns:
        cell: Any = row.get(c.id)
        text = "" if cell is None else str(cell)
        label = c.label_en if lang == "en" else c.label_vi
        named = f"{notes['row']} {i + 1}: {label}"
        # WCAG 2.2 §1.3.1, §4.1.2: each input is named by its row and its column.
        cells.append(
            f'<td data-label="{escape(label)}"><input type="text"'
            f' name="{escape(f"{prefix}{field.id}[{i}].{c.id}")}" value="{escape(text)}"'
            f' aria-label="{escape(named)}"{attrs}></td>'
        )
    return "".join(cells)


def _head(field: Field, lang: str, extra: str = "") -> str:
    head = "".join(
        f'<th scope="col" data-col="{escape(c.id)}">'
        f"{escape(c.label_en if lang == 'en' else c.label_vi)}</th>" for c in field.columns
    )
    return f"<thead><tr>{head}{extra}</tr></thead>"


def _table(field: Field, value: FieldValue, page: _Page, note: str) -> str:
    rows = [f"<tr>{_cells(field, row, i, page, _attrs(value))}</tr>"
            for i, row in enumerate(value.value or [])]
    return (
        f'<table class="eid-table">{_head(field, page.lang)}'
        f"<tbody>{''.join(rows)}</tbody></table>" + note
    )


#: The submit button of a chosen table's add and remove actions (no JavaScript needed).
ACTION_FIELD = "eid-action"


def _chosen(field: Field, value: FieldValue, page: _Page, note: str, entered: Any) -> str:
    """A table the citizen fills by choosing: the rows chosen so far (none at first),
    each with its remove button, and the candidates to add or a blank row to type in.
    Every button submits the form (``formnovalidate``: not a filing), so it works
    without JavaScript; the portal's script does the same in the page when it can."""
    lang, notes, prefix = page
    name = prefix + field.id
    chosen = [r for r in entered if isinstance(r, Mapping)] if isinstance(entered, list) else []
    rows = []
    for i, row in enumerate(chosen):
        remove = (f'<td class="eid-row-actions"><button type="submit" class="eid-remove"'
                  f' name="{ACTION_FIELD}" value="{escape(f"{name}:remove:{i}")}"'
                  f" formnovalidate>{escape(notes['remove'])} {i + 1}</button></td>")
        rows.append(f"<tr>{_cells(field, row, i, page, '')}{remove}</tr>")
    actions = f'<th scope="col"><span class="eid-visually-hidden">{escape(notes["actions"])}' \
              "</span></th>"
    empty = "" if rows else f'<p class="eid-empty">{escape(notes["none_chosen"])}</p>'
    candidates = value.value or []
    options = "".join(
        f'<option value="{i}" data-row="{escape(json.dumps(c, ensure_ascii=False))}">'
        f"{escape(' · '.join(str(c[k]) for k in ('full_name', 'relationship') if c.get(k)))}"
        "</option>"
        for i, c in enumerate(candidates))
    pick = (
        f'<label for="eid-{escape(name)}-pick">{escape(notes["pick"])}</label>'
        f'<select id="eid-{escape(name)}-pick" name="{escape(name)}.pick">{options}</select>'
        f'<button type="submit" class="eid-add" name="{ACTION_FIELD}"'
        f' value="{escape(name)}:add" formnovalidate>{escape(notes["add"])}</button>'
    ) if candidates else ""
    blank = (f'<button type="submit" class="eid-blank secondary" name="{ACTION_FIELD}"'
             f' value="{escape(name)}:blank" formnovalidate>{escape(notes["blank"])}</button>')
    return (
        f'<div class="eid-chosen" data-field="{escape(name)}"'
        f' data-row-label="{escape(notes["row"])}" data-remove-label="{escape(notes["remove"])}">'
        f'<table class="eid-table eid-cards">{_head(field, lang, actions)}'
        f"<tbody>{''.join(rows)}</tbody></table>{empty}"
        f'<div class="eid-add-row">{pick}{blank}</div></div>' + note
    )


def render_html(
    result: PrefillResult, form: Form, *, lang: str = "vi", prefix: str = "",
    entered: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None,
) -> str:
    """An HTML fragment of the prefilled ``form`` (labels in ``lang``: ``vi`` or ``en``).

    ``prefix`` goes before every input name and id, so several forms can share
    one HTML ``<form>`` (a chained procedure). ``entered`` is what the citizen has
    entered so far, by field id (text, or a table's rows as column id → text): shown
    again in the fields they may edit, and the rows of a chosen table (none by default).
    ``errors`` maps the id of a field in error to the id of the portal's element that
    says what is wrong: that field's input is marked ``aria-invalid`` and described by it.

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
        note_id = f"eid-{prefix}{field.id}-note"
        note = _note(value, notes, form, lang, note_id)
        typed = (entered or {}).get(field.id)
        page = _Page(lang, notes, prefix)
        if field.choose:
            widget = _chosen(field, value, page, note, typed)
        elif field.format == "table":
            widget = _table(field, value, page, note)
        else:
            aria = _described(note, note_id, (errors or {}).get(field.id))
            widget = _text(field, value, page, note, typed, aria=aria)
        if field.format == "table":
            # A group of inputs, each named on its own: a legend, not a label for one input.
            parts.append(
                f'<fieldset class="eid-field eid-{escape(value.status)}">'
                f"<legend>{label}</legend>{widget}</fieldset>"
            )
        else:
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
