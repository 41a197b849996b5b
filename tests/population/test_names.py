"""Tests for eid.population.names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.population.names import canonical_tones, mrz_name, normalize_name, search_key


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        (nfd("Đặng Thị Hoà"), "Đặng Thị Hoà"),
        ("Lan", "Lan"),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_normalize_name_returns_nfc() -> None:
    result = normalize_name(nfd("Trần Thị Thuỷ"))
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_name_keeps_tone_placement() -> None:
    assert normalize_name("Hoà") != normalize_name("Hòa")


@pytest.mark.parametrize(
    ("new_style", "old_style"),
    [
        ("Hoà", "Hòa"),
        ("hoà", "hòa"),
        ("HOÀ", "HÒA"),
        ("khoẻ", "khỏe"),
        ("thuý", "thúy"),
        ("Thuỷ", "Thủy"),
        ("hoạ", "họa"),
        ("xoè", "xòe"),
        ("Hoà Bình", "Hòa Bình"),
        ("Nguyễn Thị Thuý Hoà", "Nguyễn Thị Thúy Hòa"),
    ],
)
def test_canonical_tones_moves_mark_to_first_vowel(new_style: str, old_style: str) -> None:
    assert canonical_tones(new_style) == old_style


@pytest.mark.parametrize("word", ["Hòa", "khỏe", "thúy"])
def test_canonical_tones_keeps_old_style(word: str) -> None:
    assert canonical_tones(word) == word


@pytest.mark.parametrize(
    "word",
    # Not ambiguous: final consonant, third vowel, "qu" onset, or no tone at all.
    ["hoàn", "toán", "hoài", "khuyến", "Huỳnh", "khuỷu", "quý", "Quý", "Nguyễn", "Hoa", "Thuy"],
)
def test_canonical_tones_leaves_unambiguous_syllables(word: str) -> None:
    assert canonical_tones(word) == word


def test_canonical_tones_accepts_nfd() -> None:
    assert canonical_tones(nfd("Thanh Hoá")) == "Thanh Hóa"


def test_canonical_tones_makes_spellings_equal() -> None:
    assert canonical_tones("Khánh Hoà") == canonical_tones("Khánh Hòa")


@pytest.mark.parametrize(
    "spelling",
    [
        "Nguyễn Văn  An",
        "NGUYEN VAN AN",
        "nguyen van an",
        nfd("Nguyễn Văn An"),
        " Nguyễn-Văn.An ",
        "NguyenVanAn",
    ],
)
def test_search_key(spelling: str) -> None:
    assert search_key(spelling) == "NGUYENVANAN"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Đặng Đức Đạt", "DANGDUCDAT"),
        ("đinh", "DINH"),
        (nfd("Đỗ Thị Hoà"), "DOTHIHOA"),
        ("Hòa", "HOA"),
        ("Hoà", "HOA"),
        ("Lan", "LAN"),
        ("", ""),
        ("123 !?", ""),
    ],
)
def test_search_key_letters(name: str, key: str) -> None:
    assert search_key(name) == key


def test_search_key_keeps_other_scripts() -> None:
    assert search_key("Lý 李") == "LY李"


@given(st.text(max_size=50))
def test_search_key_is_normalisation_insensitive(s: str) -> None:
    assert search_key(unicodedata.normalize("NFD", s)) == search_key(
        unicodedata.normalize("NFC", s)
    )


@given(st.text(max_size=50))
def test_search_key_has_no_spaces_or_marks(s: str) -> None:
    key = search_key(s)
    assert not any(c.isspace() or unicodedata.combining(c) for c in key)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Nguyễn Văn An", "NGUYEN VAN AN"),
        (" Đặng  Thị-Hoà ", "DANG THI HOA"),
        (nfd("Đỗ Lan"), "DO LAN"),
        ("Lan", "LAN"),
    ],
)
def test_mrz_name(name: str, expected: str) -> None:
    assert mrz_name(name) == expected
