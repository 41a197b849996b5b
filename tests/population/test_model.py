"""The citizen model: partial dates, ages, immutability."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from eid.errors import PopulationError
from eid.population import Address, Citizen, PartialDate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-05-01", PartialDate(1990, 5, 1)),
        ("19900501", PartialDate(1990, 5, 1)),
        ("1990-05", PartialDate(1990, 5)),
        ("1990", PartialDate(1990)),
        ("19900500", PartialDate(1990, 5)),  # NgayThangNamSinh: 00 = unknown
        ("19900000", PartialDate(1990)),
        (" 1990 ", PartialDate(1990)),
    ],
)
def test_parse_accepts_full_and_partial_forms(text: str, expected: PartialDate) -> None:
    assert PartialDate.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "90", "1990-5-1", "1990-13", "1990-02-30", "19900001", "1990/05/01", "abcd"]
)
def test_parse_rejects_malformed_dates(text: str) -> None:
    with pytest.raises(PopulationError) as info:
        PartialDate.parse(text)
    assert info.value.code == "bad_date"


def test_day_without_month_is_refused() -> None:
    with pytest.raises(PopulationError) as info:
        PartialDate(1990, None, 3)
    assert info.value.code == "bad_date"


@pytest.mark.parametrize(
    ("date", "iso", "compact"),
    [
        (PartialDate(1990, 5, 1), "1990-05-01", "19900501"),
        (PartialDate(1990, 5), "1990-05", "19900500"),
        (PartialDate(1990), "1990", "19900000"),
    ],
)
def test_renderings_round_trip(date: PartialDate, iso: str, compact: str) -> None:
    assert (date.isoformat(), date.compact(), str(date)) == (iso, compact, iso)
    assert PartialDate.parse(iso) == PartialDate.parse(compact) == date


def test_earliest_and_latest_bound_a_partial_date() -> None:
    assert PartialDate(2024, 2).earliest() == dt.date(2024, 2, 1)
    assert PartialDate(2024, 2).latest() == dt.date(2024, 2, 29)
    assert PartialDate(2023).latest() == dt.date(2023, 12, 31)


@pytest.mark.parametrize(
    ("stored", "query", "expected"),
    [
        (PartialDate(1990, 5, 1), dt.date(1990, 5, 1), True),
        (PartialDate(1990, 5, 1), PartialDate(1990), True),
        (PartialDate(1990), dt.date(1990, 7, 9), True),
        (PartialDate(1990, 5), PartialDate(1990, 5, 30), True),
        (PartialDate(1990, 5, 1), dt.date(1990, 5, 2), False),
        (PartialDate(1990, 5), PartialDate(1990, 6), False),
        (PartialDate(1990), PartialDate(1991), False),
    ],
)
def test_matches_treats_unknown_parts_as_wildcards(
    stored: PartialDate, query: PartialDate | dt.date, expected: bool
) -> None:
    assert stored.matches(query) is expected


def _citizen(born: PartialDate) -> Citizen:
    return Citizen(id_number="079223000001", full_name="Nguyễn Văn An", birth_date=born, sex="male")


def test_age_uses_the_youngest_possible_age_for_partial_dates() -> None:
    on = dt.date(2029, 6, 1)
    assert _citizen(PartialDate(2023, 5, 31)).age_on(on) == 6
    assert _citizen(PartialDate(2023, 6, 2)).age_on(on) == 5
    # Born some day in 2023: possibly 31 December, so still 5 on 1 June 2029.
    assert _citizen(PartialDate(2023)).age_on(on) == 5


def test_citizen_is_frozen_and_absent_is_not_empty() -> None:
    citizen = _citizen(PartialDate(2023))
    with pytest.raises(dataclasses.FrozenInstanceError):
        citizen.full_name = "x"  # type: ignore[misc]
    assert citizen.temporary_absence is None
    assert dataclasses.replace(citizen, temporary_absence="").temporary_absence == ""
    assert not citizen.is_deceased


def test_address_defaults_to_vietnam() -> None:
    assert Address(79, 25747).country == "VNM"
