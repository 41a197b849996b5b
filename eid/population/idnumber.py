"""Personal identification numbers (số định danh cá nhân) and old 9-digit CMND numbers.

A personal ID number is 12 ASCII digits ``PPP G YY NNNNNN``:

- ``PPP`` – the province (old 63-province list, frozen: the 2025 mergers did not
  change ID numbers) where the birth was registered (Circular 07/2016/TT-BCA annex 1);
- ``G`` – century and sex: 1900s male 0 / female 1, 2000s 2 / 3, 2100s 4 / 5,
  2200s 6 / 7, 2300s 8 / 9;
- ``YY`` – last two digits of the birth year; ``NNNNNN`` – random.

Parsing is strict and never strips: a number with surrounding spaces fails
(``bad_length``, or ``not_digits`` when the length happens to be 12). Quietly
repairing input would hide a data-quality problem upstream, and the number is a
key; callers that read user input strip it themselves. Only ASCII digits are
accepted (``str.isdigit`` would let through ``"١"`` and other scripts' digits).

Every digit ``G`` is assigned, so ``bad_century_sex`` cannot be raised by the
structure alone; it is raised when ``today=`` is given and the number's birth year
lies in the future (for example ``G`` = 4, the 2100s, read in 2026).

Failure codes (:class:`~eid.errors.IdNumberError`): ``not_string``,
``bad_length``, ``not_digits``, ``unknown_province``, ``bad_century_sex``.
Messages never echo the whole number: it is personal data and messages get logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from eid.datafiles import data_path, read_json
from eid.errors import ConfigurationError, IdNumberError

__all__ = [
    "BIRTH_PROVINCES",
    "NEW_PROVINCE_CODES",
    "IdNumber",
    "OldIdNumber",
    "Sex",
    "is_id_number",
    "make_id_number",
    "parse_id_number",
    "parse_old_id_number",
]

Sex = Literal["male", "female"]

ID_LENGTH = 12
OLD_ID_LENGTH = 9

# G digit -> (century, sex), and its inverse for the generator's hot path.
_CENTURY_SEX: dict[str, tuple[int, Sex]] = {
    str(i): (1900 + 100 * (i // 2), "male" if i % 2 == 0 else "female") for i in range(10)
}
_G_DIGIT: dict[tuple[int, Sex], str] = {v: k for k, v in _CENTURY_SEX.items()}
_FIRST_YEAR = 1900
_LAST_YEAR = 2399


@cache
def _birth_provinces() -> tuple[Mapping[str, str], Mapping[str, int]]:
    raw: Any = read_json(data_path("eid.population", "data", "birth_provinces.json"))
    names = {p["id_prefix"]: p["name"] for p in raw["provinces"]}
    successors = {p["id_prefix"]: int(p["new_province_code"]) for p in raw["provinces"]}
    return MappingProxyType(names), MappingProxyType(successors)


#: ID-number prefix (``"074"``) → old province name (``"Bình Dương"``); 63 entries.
BIRTH_PROVINCES: Mapping[str, str] = _birth_provinces()[0]
#: ID-number prefix → code of the 2025 province it is now part of (``"074"`` → ``79``).
NEW_PROVINCE_CODES: Mapping[str, int] = _birth_provinces()[1]


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A parsed 12-digit personal identification number."""

    value: str
    province_code: str
    province_name: str
    sex: Sex
    century: int
    birth_year: int
    serial: str

    @property
    def new_province_code(self) -> int:
        """Code of the 2025 province that now contains the birth-registration province."""
        return NEW_PROVINCE_CODES[self.province_code]

    def agrees_with(self, *, birth_year: int | None = None, sex: Sex | None = None) -> bool:
        """Return whether the number is consistent with a record's birth year and sex.

        ``None`` means unknown, which is not a contradiction. A number changes only
        when sex is re-registered, so a mismatch means the data is wrong somewhere.
        """
        if birth_year is not None and birth_year != self.birth_year:
            return False
        return sex is None or sex == self.sex


@dataclass(frozen=True, slots=True)
class OldIdNumber:
    """A 9-digit CMND number, no longer valid since 31 Dec 2024 but still stored (``SoCMND``).

    ``issuer_code`` is the first three digits, which identify the issuing provincial
    police (``"280"`` = Bình Dương); some provinces are told apart by the first two
    digits only, and no authoritative table is kept here, so it is not resolved to a name.
    """

    value: str
    issuer_code: str


def _check_digits(s: object, length: int, other: int, other_name: str) -> str:
    if not isinstance(s, str):
        raise IdNumberError(f"expected a string, got {type(s).__name__}", code="not_string")
    if len(s) != length:
        hint = ""
        if len(s) == other and s.isascii() and s.isdigit():
            hint = f"; this looks like {other_name}"
        raise IdNumberError(
            f"expected {length} digits, got {len(s)} characters{hint}", code="bad_length"
        )
    if not (s.isascii() and s.isdigit()):
        raise IdNumberError(f"expected {length} ASCII digits", code="not_digits")
    return s


def parse_id_number(s: str, *, today: date | None = None) -> IdNumber:
    """Parse and check a 12-digit personal identification number.

    :param today: when given, a birth year after ``today.year`` is rejected.
    :raises IdNumberError: ``not_string``, ``bad_length`` (the message hints when a
        9-digit old CMND number was given), ``not_digits``, ``unknown_province``,
        ``bad_century_sex``.
    """
    value = _check_digits(s, ID_LENGTH, OLD_ID_LENGTH, "an old 9-digit CMND number")
    prefix = value[:3]
    name = BIRTH_PROVINCES.get(prefix)
    if name is None:
        raise IdNumberError(f"no birth-registration province {prefix!r}", code="unknown_province")
    century, sex = _CENTURY_SEX[value[3]]
    birth_year = century + int(value[4:6])
    if today is not None and birth_year > today.year:
        raise IdNumberError(
            f"century/sex digit {value[3]} and year {value[4:6]} give birth year {birth_year},"
            f" after {today.year}",
            code="bad_century_sex",
        )
    return IdNumber(
        value=value,
        province_code=prefix,
        province_name=name,
        sex=sex,
        century=century,
        birth_year=birth_year,
        serial=value[6:],
    )


def is_id_number(s: object) -> bool:
    """Return whether ``s`` is a well-formed personal identification number."""
    try:
        parse_id_number(s)  # type: ignore[arg-type]
    except IdNumberError:
        return False
    return True


def make_id_number(province_code: str, sex: Sex, birth_year: int, serial: int) -> str:
    """Build a personal identification number (for synthetic data and tests).

    Cheap by design (two dict look-ups and a format), as the generator calls it
    millions of times; the result always passes :func:`parse_id_number`.

    :param province_code: a 3-digit prefix from :data:`BIRTH_PROVINCES`.
    :param serial: the random part, ``0`` to ``999999``.
    :raises ConfigurationError: ``unknown_province``, ``bad_sex``, ``bad_birth_year``
        (outside 1900–2399) or ``bad_serial`` – these are the caller's arguments, not
        data read from outside, hence not :class:`~eid.errors.IdNumberError`.
    """
    if province_code not in BIRTH_PROVINCES:
        raise ConfigurationError(
            f"no birth-registration province {province_code!r}", code="unknown_province"
        )
    if not isinstance(birth_year, int) or not _FIRST_YEAR <= birth_year <= _LAST_YEAR:
        raise ConfigurationError(
            f"birth year {birth_year!r} outside {_FIRST_YEAR}–{_LAST_YEAR}", code="bad_birth_year"
        )
    g = _G_DIGIT.get((birth_year - birth_year % 100, sex))
    if g is None:
        raise ConfigurationError(f"sex must be 'male' or 'female', not {sex!r}", code="bad_sex")
    if not isinstance(serial, int) or not 0 <= serial <= 999_999:
        raise ConfigurationError(f"serial {serial!r} outside 0–999999", code="bad_serial")
    return f"{province_code}{g}{birth_year % 100:02d}{serial:06d}"


def parse_old_id_number(s: str) -> OldIdNumber:
    """Parse a 9-digit old ID number (CMND).

    :raises IdNumberError: ``not_string``, ``bad_length`` (the message hints when a
        12-digit personal ID number was given), ``not_digits``.
    """
    value = _check_digits(s, OLD_ID_LENGTH, ID_LENGTH, "a 12-digit personal ID number")
    return OldIdNumber(value=value, issuer_code=value[:3])
