"""Field formats: how a claim value is written on a paper-shaped form.

A formatter turns one claim value (see :mod:`eid.prefill.attributes`) into the
text the form shows, and says whether that is the whole value (``filled``),
only what is known (``partial``), or nothing (``missing``, with a reason). It
never raises and never invents: a value it cannot read is ``missing`` with
reason ``invalid_claim`` (a portal must survive a strange userinfo response).

Values stay Vietnamese whatever the label language: they are the content of a
Vietnamese form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from eid.population.codes import ETHNICITIES, ETHNICITY_UNKNOWN

__all__ = ["FORMATS", "FORMAT_TYPES", "Formatted", "Formatter"]

Formatted = tuple[Any, str, str | None]
"""(display value or ``None``, status ``filled``/``partial``/``missing``, reason)."""
Formatter = Callable[[Any], Formatted]

INVALID: Final[Formatted] = (None, "missing", "invalid_claim")
UNKNOWN: Final[Formatted] = (None, "missing", "unknown_in_record")
EMPTY: Final[Formatted] = (None, "missing", "empty_in_record")

_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_ID = re.compile(r"\d{12}")


def _text(value: Any) -> Formatted:
    if not isinstance(value, str):
        return INVALID
    return (value, "filled", None) if value else EMPTY


def _date_ddmmyyyy(value: Any) -> Formatted:
    # CT01 item 2 (Circular 66/2023/TT-BCA) asks dd/mm/yyyy. A year-only birthdate
    # (OIDC Core §5.1) is written as the year alone and flagged partial: the record
    # holds no day or month, and filling them in would be a made-up value.
    if not isinstance(value, str):
        return INVALID
    m = _FULL_DATE.fullmatch(value)
    if m:
        year, month, day = m.groups()
        if year == "0000":  # §5.1: year omitted
            return f"{day}/{month}", "partial", "partial_date"
        return f"{day}/{month}/{year}", "filled", None
    if _YEAR.fullmatch(value):
        return value, "partial", "partial_date"
    return INVALID


def _year(value: Any) -> Formatted:
    # Birth registration asks the parents' birth year only (Circular 04/2020/TT-BTP).
    if not isinstance(value, str) or not (_YEAR.fullmatch(value) or _FULL_DATE.fullmatch(value)):
        return INVALID
    year = value[:4]
    return (year, "filled", None) if year != "0000" else UNKNOWN


def _id_number_boxes(value: Any) -> Formatted:
    # CT01 item 4: twelve boxes, one digit each; the renderer draws the boxes.
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return INVALID
    return value, "filled", None


_SEX_VI = {"male": "Nam", "female": "Nữ"}


def _sex_vi(value: Any) -> Formatted:
    text = _SEX_VI.get(value) if isinstance(value, str) else None
    return INVALID if text is None else (text, "filled", None)


def _address(value: Any) -> Formatted:
    if not isinstance(value, Mapping):
        return INVALID
    return _text(value.get("formatted"))


def _ethnicity(value: Any) -> Formatted:
    # "99" is the statistics office's "unknown": an empty field, not the word "unknown".
    if value == ETHNICITY_UNKNOWN:
        return UNKNOWN
    name = ETHNICITIES.get(value) if isinstance(value, str) else None
    return INVALID if name is None else (name, "filled", None)


_NATIONALITY = {"VNM": "Việt Nam"}


def _nationality(value: Any) -> Formatted:
    # No country-name table is shipped: a foreign nationality is shown as its code.
    if not isinstance(value, str):
        return INVALID
    if not value:
        return EMPTY
    return _NATIONALITY.get(value, value), "filled", None


_MARITAL_VI = {
    "single": "Chưa kết hôn",
    "married": "Đã kết hôn",
    "divorced": "Ly hôn",
    "widowed": "Góa",
}


def _marital_status_vi(value: Any) -> Formatted:
    if value == "unknown":
        return UNKNOWN
    text = _MARITAL_VI.get(value) if isinstance(value, str) else None
    return INVALID if text is None else (text, "filled", None)


# Circular 55/2021/TT-BCA categories, as written in CT01 item 8 and the item 11 table.
_RELATIONSHIP_VI = {
    "head": "Chủ hộ",
    "spouse": "Vợ/chồng",
    "parent": "Cha/mẹ",
    "parent_in_law": "Cha/mẹ vợ/chồng",
    "child": "Con",
    "child_in_law": "Con dâu/con rể",
    "grandparent": "Ông/bà",
    "grandchild": "Cháu",
    "great_grandparent": "Cụ",
    "great_grandchild": "Chắt",
    "sibling": "Anh/chị/em",
    "nephew_niece": "Cháu",
    "uncle_aunt": "Cô/dì/chú/bác",
    "guardian": "Người giám hộ",
    "ward": "Người được giám hộ",
    "other": "Khác",
}


def _relationship_vi(value: Any) -> Formatted:
    text = _RELATIONSHIP_VI.get(value) if isinstance(value, str) else None
    return INVALID if text is None else (text, "filled", None)


#: Format name → formatter. ``table`` is handled by the engine (rows of columns).
FORMATS: Mapping[str, Formatter] = {
    "text": _text,
    "code": _text,
    "date_ddmmyyyy": _date_ddmmyyyy,
    "year": _year,
    "id_number_boxes": _id_number_boxes,
    "sex_vi": _sex_vi,
    "address": _address,
    "ethnicity": _ethnicity,
    "nationality": _nationality,
    "marital_status_vi": _marital_status_vi,
    "relationship_vi": _relationship_vi,
}

#: Value type → the formats that can show it (checked when a form is loaded).
FORMAT_TYPES: Mapping[str, frozenset[str]] = {
    "text": frozenset({"text", "id_number_boxes"}),
    "date": frozenset({"date_ddmmyyyy", "year", "text"}),
    "sex": frozenset({"sex_vi"}),
    "address": frozenset({"address"}),
    "code": frozenset({"code", "ethnicity", "nationality", "marital_status_vi"}),
    "relationship": frozenset({"relationship_vi"}),
    "person_list": frozenset({"table"}),
}
