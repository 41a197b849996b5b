"""Tests for eid.population.codes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from eid.errors import NotFoundError
from eid.population.codes import (
    ETHNICITIES,
    ETHNICITY_FOREIGNER,
    ETHNICITY_UNKNOWN,
    ethnicity_name,
)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "Kinh"),
        ("05", "Khơ-me"),
        ("54", "Rơ măm"),
        ("55", "Người nước ngoài"),
        ("99", "Không rõ"),
    ],
)
def test_ethnicity_name(code: str, name: str) -> None:
    assert ethnicity_name(code) == name


@pytest.mark.parametrize("code", ["1", 1, "00", "56", "98", "", None])
def test_unknown_ethnicity(code: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        ethnicity_name(code)
    assert info.value.code == "unknown_ethnicity"


def test_special_codes() -> None:
    assert ETHNICITY_FOREIGNER in ETHNICITIES and ETHNICITY_UNKNOWN in ETHNICITIES


def test_ethnicities_match_reference(shared_dir: Path) -> None:
    with (shared_dir / "domain" / "ethnicities_gso.csv").open(encoding="utf-8") as f:
        expected = {r["code"]: r["name"] for r in csv.DictReader(f)}
    assert dict(ETHNICITIES) == expected


def test_56_codes() -> None:
    assert len(ETHNICITIES) == 56
