"""Tests for eid.population.documents: the CCCD's TD1 MRZ and QR payload."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.errors import ConfigurationError, DocumentError
from eid.population.documents import (
    CccdQr,
    make_cccd_qr,
    make_mrz_td1,
    mrz_check_digit,
    parse_cccd_qr,
    parse_mrz_td1,
)
from eid.population.idnumber import parse_id_number
from eid.population.names import mrz_name

# A synthetic card's MRZ (ICAO 9303 TD1; its check digits are correct).
README_MRZ = (
    "IDVNM2030012345079203001234<<5\n0305152M2805151VNM<<<<<<<<<<<2\nNGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
)

Lines = list[str]


# --- MRZ: valid ---------------------------------------------------------------


def test_readme_example() -> None:
    mrz = parse_mrz_td1(README_MRZ)
    assert (mrz.document_number, mrz.id_number, mrz.birth_date, mrz.sex, mrz.expiry) == (
        "203001234",
        "079203001234",
        date(2003, 5, 15),
        "male",
        date(2028, 5, 15),
    )


def test_readme_example_name() -> None:
    mrz = parse_mrz_td1(README_MRZ)
    assert (mrz.surname, mrz.given_names, mrz.name_raw, mrz.nationality) == (
        "NGUYEN",
        "VAN AN",
        "NGUYEN<<VAN<AN",
        "VNM",
    )


def test_full_name_compares_with_mrz_name() -> None:
    assert parse_mrz_td1(README_MRZ).full_name == mrz_name("Nguyễn Văn An")


def test_id_details() -> None:
    assert parse_mrz_td1(README_MRZ).id_details == parse_id_number("079203001234")


def test_one_90_character_string() -> None:
    assert parse_mrz_td1(README_MRZ.replace("\n", "")) == parse_mrz_td1(README_MRZ)


def test_builder_reproduces_readme_example() -> None:
    built = make_mrz_td1(
        "079203001234",
        name="Nguyễn Văn An",
        birth_date=date(2003, 5, 15),
        sex="male",
        expiry=date(2028, 5, 15),
    )
    assert built == README_MRZ


def test_birth_century_comes_from_id_number() -> None:
    built = make_mrz_td1(
        "001145000001", name="Lê Thị Lan", birth_date=date(1945, 9, 2), sex="female",
        expiry=date(2030, 1, 1),
    )  # fmt: skip
    assert parse_mrz_td1(built).birth_date == date(1945, 9, 2)


def test_one_word_name() -> None:
    built = make_mrz_td1(
        "079203001234", name="An", birth_date=date(2003, 5, 15), sex="male",
        expiry=date(2028, 5, 15),
    )  # fmt: skip
    mrz = parse_mrz_td1(built)
    assert (mrz.surname, mrz.given_names, mrz.full_name) == ("AN", "", "AN")


def test_long_name_is_truncated() -> None:
    built = make_mrz_td1(
        "079203001234", name="Tôn Nữ Thị Hoàng Phương Quỳnh Như Ngọc Anh", sex="male",
        birth_date=date(2003, 5, 15), expiry=date(2028, 5, 15),
    )  # fmt: skip
    assert len(built.split("\n")[2]) == 30


@given(
    id_number=st.sampled_from(["079203001234", "035199000123", "074305999999", "001000000000"]),
    expiry_years=st.integers(1, 99),
    name=st.text(alphabet="ĐđÂâăeêoôơuưy ABCXYZ", min_size=1, max_size=40).filter(
        lambda s: mrz_name(s) != ""
    ),
)
def test_mrz_round_trip(id_number: str, expiry_years: int, name: str) -> None:
    parsed_id = parse_id_number(id_number)
    birth = date(parsed_id.birth_year, 2, 28)
    expiry = date(parsed_id.birth_year + expiry_years, 2, 28)
    mrz = parse_mrz_td1(
        make_mrz_td1(id_number, name=name, birth_date=birth, sex=parsed_id.sex, expiry=expiry)
    )
    assert (mrz.id_number, mrz.birth_date, mrz.expiry) == (id_number, birth, expiry)


@pytest.mark.parametrize(
    ("data", "digit"),
    [("203001234", "5"), ("079203001234", "5"), ("030515", "2"), ("280515", "1"), ("", "0"),
     ("<<<", "0"), ("L898902C3", "6"), ("740812", "2")],
)  # fmt: skip
def test_mrz_check_digit(data: str, digit: str) -> None:
    assert mrz_check_digit(data) == digit


@pytest.mark.parametrize("data", ["abc", "12 3", "Đ"])
def test_mrz_check_digit_bad_character(data: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        mrz_check_digit(data)
    assert info.value.code == "bad_character"


# --- MRZ: failures --------------------------------------------------------------


def _lines() -> Lines:
    return README_MRZ.split("\n")


def _put(lines: Lines, line: int, pos: int, text: str) -> Lines:
    lines[line] = lines[line][:pos] + text + lines[line][pos + len(text) :]
    return lines


def _flip(lines: Lines, line: int, pos: int) -> Lines:
    return _put(lines, line, pos, str((int(lines[line][pos]) + 1) % 10))


def _fix(lines: Lines) -> Lines:
    """Recompute every check digit, so a mutation fails for its own reason only."""
    l1, l2 = lines[0], lines[1]
    l1 = l1[:14] + mrz_check_digit(l1[5:14]) + l1[15:29] + mrz_check_digit(l1[15:27])
    l2 = l2[:6] + mrz_check_digit(l2[0:6]) + l2[7:14] + mrz_check_digit(l2[8:14]) + l2[15:]
    l2 = l2[:29] + mrz_check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    return [l1, l2, lines[2]]


MRZ_MUTATIONS: list[tuple[str, Callable[[Lines], Lines], str, str]] = [
    ("document code", lambda ls: _put(ls, 0, 0, "IX"), "document_code", "unsupported_document"),
    ("issuing state", lambda ls: _put(ls, 0, 2, "VNX"), "issuing_state", "unsupported_issuer"),
    ("letter in doc number", lambda ls: _put(ls, 0, 5, "A"), "document_number", "not_digits"),
    ("doc number check", lambda ls: _flip(ls, 0, 14), "document_number", "bad_check_digit"),
    ("doc number digit", lambda ls: _flip(ls, 0, 13), "document_number", "bad_check_digit"),
    ("ID number check", lambda ls: _flip(ls, 0, 29), "id_number", "bad_check_digit"),
    ("ID number digit", lambda ls: _flip(ls, 0, 16), "id_number", "bad_check_digit"),
    ("ID number filler", lambda ls: _put(ls, 0, 27, "0<"), "id_number", "bad_format"),
    ("ID number short", lambda ls: _put(ls, 0, 26, "<"), "id_number", "bad_format"),
    ("ID province", lambda ls: _fix(_put(ls, 0, 15, "099")), "id_number", "unknown_province"),
    ("ID vs doc number", lambda ls: _fix(_put(ls, 0, 5, "3")), "id_number",
     "document_number_mismatch"),
    ("birth date check", lambda ls: _flip(ls, 1, 6), "birth_date", "bad_check_digit"),
    ("birth date digit", lambda ls: _flip(ls, 1, 5), "birth_date", "bad_check_digit"),
    ("birth month 13", lambda ls: _fix(_put(ls, 1, 2, "13")), "birth_date", "bad_date"),
    ("birth letter", lambda ls: _fix(_put(ls, 1, 2, "O")), "birth_date", "bad_date"),
    ("birth year vs ID", lambda ls: _fix(_put(ls, 1, 0, "04")), "birth_date",
     "id_number_mismatch"),
    ("sex X", lambda ls: _put(ls, 1, 7, "X"), "sex", "bad_value"),
    ("sex filler", lambda ls: _put(ls, 1, 7, "<"), "sex", "bad_value"),
    ("sex vs ID", lambda ls: _put(ls, 1, 7, "F"), "sex", "id_number_mismatch"),
    ("expiry check", lambda ls: _flip(ls, 1, 14), "expiry", "bad_check_digit"),
    ("expiry digit", lambda ls: _flip(ls, 1, 13), "expiry", "bad_check_digit"),
    ("expiry 30 Feb", lambda ls: _fix(_put(ls, 1, 10, "0230")), "expiry", "bad_date"),
    ("expiry before birth", lambda ls: _fix(_put(ls, 1, 8, "030501")), "expiry",
     "before_birth"),
    ("nationality", lambda ls: _put(ls, 1, 15, "VNX"), "nationality", "unsupported_nationality"),
    ("composite check", lambda ls: _flip(ls, 1, 29), "composite", "bad_check_digit"),
    ("optional data 2", lambda ls: _put(ls, 1, 18, "B"), "composite", "bad_check_digit"),
    ("empty name", lambda ls: _put(ls, 2, 0, "<" * 30), "name", "bad_format"),
    ("digit in name", lambda ls: _put(ls, 2, 0, "1"), "name", "bad_format"),
    ("leading filler", lambda ls: _put(ls, 2, 0, "<"), "name", "bad_format"),
    ("triple filler", lambda ls: _put(ls, 2, 6, "<<<VAN"), "name", "bad_format"),
    ("lower case", lambda ls: [ls[0], ls[1], ls[2].lower()], "line3", "bad_character"),
    ("NUL", lambda ls: _put(ls, 1, 20, "\x00"), "line2", "bad_character"),
    ("short line", lambda ls: [ls[0], ls[1][:29], ls[2]], "line2", "bad_length"),
    ("long line", lambda ls: [ls[0] + "<", ls[1], ls[2]], "line1", "bad_length"),
    ("CRLF", lambda ls: [ls[0] + "\r", ls[1] + "\r", ls[2]], "line1", "bad_length"),
    ("two lines", lambda ls: ls[:2], "mrz", "bad_line_count"),
    ("trailing newline", lambda ls: [*ls, ""], "mrz", "bad_line_count"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [pytest.param(m, f, c, id=name) for name, m, f, c in MRZ_MUTATIONS],
)
def test_mrz_failures(mutate: Callable[[Lines], Lines], field: str, code: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_mrz_td1("\n".join(mutate(_lines())))
    assert (info.value.field, info.value.code) == (field, code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (README_MRZ.replace("\n", "")[:89], "bad_length"),
        (README_MRZ.replace("\n", "") + "<", "bad_length"),
        ("", "bad_length"),
        ("<" * 10_000, "too_long"),
        (None, "not_string"),
        (README_MRZ.encode(), "not_string"),
    ],
)
def test_mrz_shape_failures(text: Any, code: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_mrz_td1(text)
    assert (info.value.field, info.value.code) == ("mrz", code)


@given(st.text(max_size=120))
def test_mrz_hostile_text(text: str) -> None:
    with pytest.raises(DocumentError):
        parse_mrz_td1(text)


@given(st.lists(st.tuples(st.integers(0, 89), st.sampled_from("0159AZ<\n\x00a")), max_size=4))
def test_mrz_mutations_raise_only_document_error(changes: list[tuple[int, str]]) -> None:
    text = list(README_MRZ.replace("\n", ""))
    for pos, char in changes:
        text[pos] = char
    # Anything but a DocumentError escapes and fails the test.
    with contextlib.suppress(DocumentError):
        parse_mrz_td1("".join(text))


# --- QR -------------------------------------------------------------------------

QR_FIELDS = [
    "035199000123",
    "168000111",
    "Trần Thị Thuý Hoà",
    "03021999",
    "Nữ",
    "Thôn 1, Xã Bình Mỹ, Tỉnh Ninh Bình",
    "05042021",
]
QR = "|".join(QR_FIELDS)


def test_qr_valid() -> None:
    assert parse_cccd_qr(QR) == CccdQr(
        id_number="035199000123",
        id_details=parse_id_number("035199000123"),
        old_id_number="168000111",
        full_name="Trần Thị Thuý Hoà",
        birth_date=date(1999, 2, 3),
        sex="female",
        address="Thôn 1, Xã Bình Mỹ, Tỉnh Ninh Bình",
        issue_date=date(2021, 4, 5),
    )


def test_qr_nfd() -> None:
    assert parse_cccd_qr(unicodedata.normalize("NFD", QR)) == parse_cccd_qr(QR)


def test_qr_without_old_id_number() -> None:
    fields = [*QR_FIELDS]
    fields[1] = ""
    assert parse_cccd_qr("|".join(fields)).old_id_number is None


def test_qr_name_spaces_normalised() -> None:
    fields = [*QR_FIELDS]
    fields[2] = "  Trần  Thị Thuý   Hoà "
    assert parse_cccd_qr("|".join(fields)).full_name == "Trần Thị Thuý Hoà"


def test_qr_builder() -> None:
    built = make_cccd_qr(
        "035199000123", old_id_number="168000111", name="Trần Thị Thuý Hoà",
        birth_date=date(1999, 2, 3), sex="female", address="Thôn 1, Xã Bình Mỹ, Tỉnh Ninh Bình",
        issue_date=date(2021, 4, 5),
    )  # fmt: skip
    assert built == QR


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"name": "A|B"}, "bad_field"), ({"address": "x\ny"}, "bad_field"), ({"sex": "x"}, "bad_sex")],
)
def test_qr_builder_failures(kwargs: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {
        "name": "An", "birth_date": date(1999, 2, 3), "sex": "female", "address": "X",
        "issue_date": date(2021, 4, 5),
    }  # fmt: skip
    with pytest.raises(ConfigurationError) as info:
        make_cccd_qr("035199000123", **(args | kwargs))
    assert info.value.code == code


QR_MUTATIONS: list[tuple[int, str, str, str]] = [
    (0, "", "id_number", "bad_length"),
    (0, "168000111", "id_number", "bad_length"),
    (0, "03519900012x", "id_number", "not_digits"),
    (0, " 35199000123", "id_number", "not_digits"),
    (0, "099199000123", "id_number", "unknown_province"),
    (1, "16800011", "old_id_number", "bad_length"),
    (1, "16800011x", "old_id_number", "not_digits"),
    (1, "035199000123", "old_id_number", "bad_length"),
    (2, "", "full_name", "missing"),
    (2, "   ", "full_name", "missing"),
    (2, "Trần\x00Hoà", "full_name", "bad_character"),
    (2, "Trần Hoà 3", "full_name", "bad_character"),
    (3, "3021999", "birth_date", "bad_date"),
    (3, "30021999", "birth_date", "bad_date"),
    (3, "1999-2-3", "birth_date", "bad_date"),
    (3, "０３０２１９９９", "birth_date", "bad_date"),
    (3, "03021998", "birth_date", "id_number_mismatch"),
    (4, "Nu", "sex", "bad_value"),
    (4, "nữ", "sex", "bad_value"),
    (4, "", "sex", "bad_value"),
    (4, "Nam", "sex", "id_number_mismatch"),
    (5, "", "address", "missing"),
    (5, "Thôn 1\x07", "address", "bad_character"),
    (6, "31042021", "issue_date", "bad_date"),
    (6, "", "issue_date", "bad_date"),
    (6, "02021999", "issue_date", "before_birth"),
]


@pytest.mark.parametrize(("index", "value", "field", "code"), QR_MUTATIONS)
def test_qr_failures(index: int, value: str, field: str, code: str) -> None:
    fields = [*QR_FIELDS]
    fields[index] = value
    with pytest.raises(DocumentError) as info:
        parse_cccd_qr("|".join(fields))
    assert (info.value.field, info.value.code) == (field, code)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("|".join(QR_FIELDS[:6]), "bad_field_count"),
        (QR + "|", "bad_field_count"),
        ("", "bad_field_count"),
        (QR + "x" * 2000, "too_long"),
        (None, "not_string"),
        (QR.encode(), "not_string"),
    ],
)
def test_qr_shape_failures(payload: Any, code: str) -> None:
    with pytest.raises(DocumentError) as info:
        parse_cccd_qr(payload)
    assert (info.value.field, info.value.code) == ("payload", code)


@given(st.text(max_size=300))
def test_qr_hostile_text(payload: str) -> None:
    with pytest.raises(DocumentError):
        parse_cccd_qr(payload)


@given(st.lists(st.text(max_size=20), min_size=7, max_size=7))
def test_qr_seven_random_fields_raise_only_document_error(fields: list[str]) -> None:
    with contextlib.suppress(DocumentError):
        parse_cccd_qr("|".join(fields))


@given(st.integers(0, 6), st.text(max_size=20))
def test_qr_one_random_field_raises_only_document_error(index: int, value: str) -> None:
    fields = [*QR_FIELDS]
    fields[index] = value
    with contextlib.suppress(DocumentError):
        parse_cccd_qr("|".join(fields))


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 29), st.sampled_from("0139AMFZ<")),
                min_size=1, max_size=4))  # fmt: skip
def test_mrz_mutations_with_valid_check_digits_raise_only_document_error(
    changes: list[tuple[int, int, str]],
) -> None:
    lines = _lines()
    for line, pos, char in changes:
        _put(lines, line, pos, char)
    # With the check digits recomputed the mutation reaches the field rules.
    with contextlib.suppress(DocumentError):
        parse_mrz_td1("\n".join(_fix(lines)))
