"""Formatters: claim value → form text, never raising, never inventing."""

from __future__ import annotations

from typing import Any

import pytest

from eid.prefill.formats import FORMATS


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("date_ddmmyyyy", "1978-03-15", ("15/03/1978", "filled", None)),
        ("date_ddmmyyyy", "1948", ("1948", "partial", "partial_date")),
        ("date_ddmmyyyy", "0000-03-15", ("15/03", "partial", "partial_date")),  # OIDC §5.1
        ("date_ddmmyyyy", "15/03/1978", (None, "missing", "invalid_claim")),
        ("year", "1978-03-15", ("1978", "filled", None)),
        ("year", "0000-03-15", (None, "missing", "unknown_in_record")),
        ("id_number_boxes", "074078000101", ("074078000101", "filled", None)),
        ("id_number_boxes", "07407800010", (None, "missing", "invalid_claim")),
        ("sex_vi", "female", ("Nữ", "filled", None)),
        ("sex_vi", "male", ("Nam", "filled", None)),
        ("ethnicity", "10", ("Gia-rai", "filled", None)),
        ("ethnicity", "99", (None, "missing", "unknown_in_record")),
        ("ethnicity", "7", (None, "missing", "invalid_claim")),
        ("nationality", "VNM", ("Việt Nam", "filled", None)),
        ("nationality", "KOR", ("KOR", "filled", None)),
        ("marital_status_vi", "widowed", ("Góa", "filled", None)),
        ("marital_status_vi", "unknown", (None, "missing", "unknown_in_record")),
        ("relationship_vi", "grandchild", ("Cháu", "filled", None)),
        ("address", {"formatted": "1 A, Phường B"}, ("1 A, Phường B", "filled", None)),
        ("address", "1 A", (None, "missing", "invalid_claim")),
        ("text", "", (None, "missing", "empty_in_record")),
        ("text", ["x"], (None, "missing", "invalid_claim")),
    ],
)
def test_formats(fmt: str, value: Any, expected: tuple[Any, str, str | None]) -> None:
    assert FORMATS[fmt](value) == expected
