"""Tests for eid.population.idnumber."""

from __future__ import annotations

import contextlib
import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.errors import ConfigurationError, EidError, IdNumberError
from eid.population.idnumber import (
    BIRTH_PROVINCES,
    NEW_PROVINCE_CODES,
    IdNumber,
    is_id_number,
    make_id_number,
    parse_id_number,
    parse_old_id_number,
)

README_EXAMPLE = "035199000123"  # the layout's worked example: Hà Nam, female, born 1999


def test_readme_example() -> None:
    assert parse_id_number(README_EXAMPLE) == IdNumber(
        value=README_EXAMPLE,
        province_code="035",
        province_name="Hà Nam",
        sex="female",
        century=1900,
        birth_year=1999,
        serial="000123",
    )


def test_binh_duong_is_now_ho_chi_minh_city() -> None:
    parsed = parse_id_number("074203001234")
    assert (parsed.province_name, parsed.new_province_code) == ("Bình Dương", 79)


@pytest.mark.parametrize(
    ("digit", "century", "sex"),
    [
        ("0", 1900, "male"),
        ("1", 1900, "female"),
        ("2", 2000, "male"),
        ("3", 2000, "female"),
        ("4", 2100, "male"),
        ("5", 2100, "female"),
        ("6", 2200, "male"),
        ("7", 2200, "female"),
        ("8", 2300, "male"),
        ("9", 2300, "female"),
    ],
)
def test_century_sex_digit(digit: str, century: int, sex: str) -> None:
    parsed = parse_id_number(f"001{digit}45000123")
    assert (parsed.century, parsed.sex, parsed.birth_year) == (century, sex, century + 45)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (35199000123, "not_string"),
        (None, "not_string"),
        (b"035199000123", "not_string"),
        ("", "bad_length"),
        ("03519900012", "bad_length"),
        ("0351990001234", "bad_length"),
        ("168000111", "bad_length"),  # an old CMND
        (" 035199000123", "bad_length"),  # not stripped
        ("035199000123\n", "bad_length"),
        ("03519900012 ", "not_digits"),
        ("03519900012a", "not_digits"),
        ("03519900012١", "not_digits"),  # Arabic-Indic digit one
        ("０３５１９９０００１２３", "not_digits"),  # full-width digits
        ("03519900-123", "not_digits"),
        ("003199000123", "unknown_province"),
        ("099199000123", "unknown_province"),
        ("000199000123", "unknown_province"),
    ],
)
def test_parse_id_number_failures(value: Any, code: str) -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number(value)
    assert info.value.code == code


def test_old_cmnd_gets_a_hint() -> None:
    with pytest.raises(IdNumberError, match="old 9-digit CMND"):
        parse_id_number("280123456")


def test_birth_year_in_future_is_bad_century_sex() -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number("079405000123", today=date(2026, 1, 1))
    assert info.value.code == "bad_century_sex"


def test_birth_year_this_year_is_accepted() -> None:
    assert parse_id_number("079226000123", today=date(2026, 1, 1)).birth_year == 2026


def test_message_does_not_echo_number() -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number("099199000123")
    assert "099199000123" not in str(info.value)


@given(st.one_of(st.text(max_size=30), st.integers(), st.none(), st.binary(max_size=20)))
def test_parse_id_number_raises_only_id_number_error(value: Any) -> None:
    # Anything else (TypeError, ValueError...) escapes and fails the test.
    with contextlib.suppress(IdNumberError):
        parse_id_number(value)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_parse_id_number_digits(value: str) -> None:
    try:
        parsed = parse_id_number(value)
    except EidError as e:
        assert e.code == "unknown_province"
    else:
        assert parsed.value == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(README_EXAMPLE, True), ("168000111", False), (None, False), ("", False)],
)
def test_is_id_number(value: Any, expected: bool) -> None:
    assert is_id_number(value) is expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, True),
        ({"birth_year": 1999}, True),
        ({"sex": "female"}, True),
        ({"birth_year": 1999, "sex": "female"}, True),
        ({"birth_year": 2099}, False),
        ({"sex": "male"}, False),
        ({"birth_year": 1999, "sex": "male"}, False),
    ],
)
def test_agrees_with(kwargs: Any, expected: bool) -> None:
    assert parse_id_number(README_EXAMPLE).agrees_with(**kwargs) is expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("035", "female", 1999, 123), README_EXAMPLE),
        (("074", "male", 2003, 1234), "074203001234"),
        (("001", "female", 2399, 999_999), "001999999999"),
        (("096", "male", 1900, 0), "096000000000"),
    ],
)
def test_make_id_number(args: Any, expected: str) -> None:
    assert make_id_number(*args) == expected


@given(
    st.sampled_from(sorted(BIRTH_PROVINCES)),
    st.sampled_from(["male", "female"]),
    st.integers(1900, 2399),
    st.integers(0, 999_999),
)
def test_make_id_number_round_trips(prefix: str, sex: Any, year: int, serial: int) -> None:
    parsed = parse_id_number(make_id_number(prefix, sex, year, serial))
    assert (parsed.province_code, parsed.sex, parsed.birth_year, int(parsed.serial)) == (
        prefix,
        sex,
        year,
        serial,
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("099", "male", 1999, 1), "unknown_province"),
        (("35", "male", 1999, 1), "unknown_province"),
        (("035", "other", 1999, 1), "bad_sex"),
        (("035", "male", 1899, 1), "bad_birth_year"),
        (("035", "male", 2400, 1), "bad_birth_year"),
        (("035", "male", 1999, -1), "bad_serial"),
        (("035", "male", 1999, 1_000_000), "bad_serial"),
    ],
)
def test_make_id_number_failures(args: Any, code: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_id_number(*args)
    assert info.value.code == code


def test_parse_old_id_number() -> None:
    old = parse_old_id_number("280123456")
    assert (old.value, old.issuer_code) == ("280123456", "280")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (280123456, "not_string"),
        ("28012345", "bad_length"),
        (README_EXAMPLE, "bad_length"),
        ("28012345x", "not_digits"),
        ("28012345١", "not_digits"),
    ],
)
def test_parse_old_id_number_failures(value: Any, code: str) -> None:
    with pytest.raises(IdNumberError) as info:
        parse_old_id_number(value)
    assert info.value.code == code


def test_twelve_digits_as_old_number_gets_a_hint() -> None:
    with pytest.raises(IdNumberError, match="12-digit personal ID"):
        parse_old_id_number(README_EXAMPLE)


def test_birth_provinces_is_read_only() -> None:
    with pytest.raises(TypeError):
        BIRTH_PROVINCES["000"] = "x"  # type: ignore[index]


def _old_63(shared_dir: Path) -> list[dict[str, str]]:
    with (shared_dir / "domain" / "provinces_old_63.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_birth_provinces_match_reference(shared_dir: Path) -> None:
    expected = {r["id_prefix"]: r["name"] for r in _old_63(shared_dir)}
    assert dict(BIRTH_PROVINCES) == expected


def test_new_province_codes_match_reference(shared_dir: Path) -> None:
    expected = {r["id_prefix"]: int(r["new_code_2025"]) for r in _old_63(shared_dir)}
    assert dict(NEW_PROVINCE_CODES) == expected


def test_there_are_63_birth_provinces() -> None:
    assert len(BIRTH_PROVINCES) == 63
