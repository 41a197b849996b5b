"""Tests for eid.population.units, including how the package compares with the reference CSVs."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eid.errors import NotFoundError
from eid.population.names import canonical_tones, normalize_name
from eid.population.units import (
    Commune,
    Province,
    all_communes,
    all_provinces,
    commune,
    communes_of,
    find_province,
    format_address,
    province,
    validate_residence,
)

HCMC = 79
THU_DAU_MOT = 25747  # Phường Thủ Dầu Một, formerly Bình Dương's capital
HA_NOI_BA_DINH = 4

# Communes whose 5-digit code differs between the package and communes_2025.csv
# (see eid/population/UNITS.md). A test fails if the gap grows.
KNOWN_CODE_DIFFERENCES = 123


def test_counts() -> None:
    assert (len(all_provinces()), len(all_communes())) == (34, 3321)


def test_kinds_of_commune() -> None:
    kinds = Counter(c.name.split(" ")[0] for c in all_communes())
    assert (kinds["Phường"], kinds["Xã"], kinds["Đặc"]) == (687, 2621, 13)


def test_province() -> None:
    assert province(HCMC) == Province(code=HCMC, name="Thành phố Hồ Chí Minh")


def test_province_name_carries_its_kind() -> None:
    assert province(4).name == "Tỉnh Cao Bằng"


def test_commune() -> None:
    assert commune(THU_DAU_MOT) == Commune(
        code=THU_DAU_MOT, name="Phường Thủ Dầu Một", province_code=HCMC
    )


def test_names_are_normalised() -> None:
    assert all(c.name == normalize_name(c.name) for c in all_communes())


@pytest.mark.parametrize("code", [0, 2, 74, 100, -1, "79", None])
def test_unknown_province(code: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        province(code)
    assert info.value.code == "unknown_province"


@pytest.mark.parametrize("code", [0, 1, 99999, "00004", None])
def test_unknown_commune(code: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        commune(code)
    assert info.value.code == "unknown_commune"


def test_communes_of() -> None:
    communes = communes_of(HCMC)
    assert len(communes) == 168
    assert all(c.province_code == HCMC for c in communes)


def test_communes_of_is_ordered_by_code() -> None:
    codes = [c.code for c in communes_of(1)]
    assert codes == sorted(codes)


def test_communes_of_unknown_province() -> None:
    with pytest.raises(NotFoundError) as info:
        communes_of(74)
    assert info.value.code == "unknown_province"


def test_validate_residence() -> None:
    assert validate_residence(HCMC, THU_DAU_MOT).name == "Phường Thủ Dầu Một"


@pytest.mark.parametrize(
    ("province_code", "commune_code", "code"),
    [
        (74, THU_DAU_MOT, "unknown_province"),
        (HCMC, 99999, "unknown_commune"),
        (1, THU_DAU_MOT, "commune_not_in_province"),
        (HCMC, HA_NOI_BA_DINH, "commune_not_in_province"),
    ],
)
def test_validate_residence_failures(province_code: int, commune_code: int, code: str) -> None:
    with pytest.raises(NotFoundError) as info:
        validate_residence(province_code, commune_code)
    assert info.value.code == code


@pytest.mark.parametrize(
    "query",
    [79, "79", "Hồ Chí Minh", "Thành phố Hồ Chí Minh", "thanh pho ho chi minh", "HO CHI MINH"],
)
def test_find_province(query: str | int) -> None:
    assert find_province(query).code == HCMC


@pytest.mark.parametrize("query", ["Cao Bằng", "Tỉnh Cao Bằng", "CAO BANG", "04", 4])
def test_find_province_tinh(query: str | int) -> None:
    assert find_province(query).code == 4


@pytest.mark.parametrize("query", ["Bình Dương", "", "079", "Atlantis", 74])
def test_find_province_unknown(query: str | int) -> None:
    with pytest.raises(NotFoundError) as info:
        find_province(query)
    assert info.value.code == "unknown_province"


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ("12 Lê Lợi", "12 Lê Lợi, Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"),
        ("  12   Lê Lợi ", "12 Lê Lợi, Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"),
        (None, "Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"),
        ("", "Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"),
        ("   ", "Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"),
    ],
)
def test_format_address(detail: str | None, expected: str) -> None:
    assert format_address(detail, THU_DAU_MOT) == expected


def test_format_address_unknown_commune() -> None:
    with pytest.raises(NotFoundError) as info:
        format_address("12 Lê Lợi", 99999)
    assert info.value.code == "unknown_commune"


# --- the package against the reference CSVs ----------------------------------


def _read(shared_dir: Path, name: str) -> list[dict[str, str]]:
    with (shared_dir / "domain" / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _same(name: str) -> str:
    """Comparison key: tone placement, apostrophe and dash style, case and spacing ignored."""
    return canonical_tones(normalize_name(name)).replace("’", "'").replace("–", "-").casefold()


def test_provinces_match_reference(shared_dir: Path) -> None:
    expected = {int(r["code"]): r["name"] for r in _read(shared_dir, "provinces_new_34_2025.csv")}
    assert {p.code: p.name for p in all_provinces()} == expected


def test_commune_counts_per_province_match_reference(shared_dir: Path) -> None:
    expected = {
        int(r["code"]): int(r["n_communes_total"])
        for r in _read(shared_dir, "provinces_new_34_2025.csv")
    }
    assert {p.code: len(communes_of(p.code)) for p in all_provinces()} == expected


def test_commune_names_per_province_match_reference(shared_dir: Path) -> None:
    expected = Counter(
        (int(r["province_code"]), _same(r["commune_name"]))
        for r in _read(shared_dir, "communes_2025.csv")
    )
    assert Counter((c.province_code, _same(c.name)) for c in all_communes()) == expected


def test_commune_codes_mostly_match_reference(shared_dir: Path) -> None:
    differing = [
        r["commune_code"]
        for r in _read(shared_dir, "communes_2025.csv")
        if (c := _lookup(int(r["commune_code"]))) is None
        or _same(c.name) != _same(r["commune_name"])
    ]
    assert len(differing) <= KNOWN_CODE_DIFFERENCES


def _lookup(code: int) -> Commune | None:
    try:
        return commune(code)
    except NotFoundError:
        return None


def test_communes_with_a_shared_code_are_in_the_same_province(shared_dir: Path) -> None:
    mismatched = [
        r["commune_code"]
        for r in _read(shared_dir, "communes_2025.csv")
        if (c := _lookup(int(r["commune_code"]))) and c.province_code != int(r["province_code"])
    ]
    assert mismatched == []
