"""The chip ID card's (CCCD) machine-readable zone and QR code: parse, check, build.

Both parsers take untrusted text from a scanner: whatever they are given, they
either return a value or raise :class:`~eid.errors.DocumentError` whose ``field``
names the part at fault and whose ``code`` names the rule. Input is capped in
length before any work is done.

MRZ (ICAO 9303 part 5, TD1: three lines of 30 characters)::

    IDVNM<last 9 digits of the ID number><check><12-digit ID number><<<check of the 12>
    <birth YYMMDD><check><M|F><expiry YYMMDD><check>VNM<optional, 11><composite check>
    SURNAME<<GIVEN<NAMES<<<<<<<<<<

QR payload: ``ID|old ID|full name|ddmmyyyy birth|Nam or Nữ|address|ddmmyyyy issue``,
in :mod:`eid.population.cccd_qr` (re-exported here).

These functions decode and check the document's own consistency; whether the card
has expired, or matches a citizen record, is for the caller to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from eid.errors import ConfigurationError, DocumentError, IdNumberError
from eid.population.cccd_qr import CccdQr, make_cccd_qr, parse_cccd_qr
from eid.population.idnumber import IdNumber, Sex, parse_id_number
from eid.population.names import mrz_name

__all__ = [
    "CccdQr",
    "MrzTd1",
    "make_cccd_qr",
    "make_mrz_td1",
    "mrz_check_digit",
    "parse_cccd_qr",
    "parse_mrz_td1",
]

_LINE = 30
_MAX_MRZ = 200  # generous for 3 x 30 plus separators; anything longer is not an MRZ
_MRZ_CHARS = re.compile(r"[0-9A-Z<]*")
_MRZ_NAME = re.compile(r"([A-Z]+(?:<[A-Z]+)*)(?:<<([A-Z]+(?:<[A-Z]+)*))?<*")
# ICAO 9303 part 3, 4.9: digits are their value, A-Z are 10-35, the filler is 0.
_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}
_WEIGHTS = (7, 3, 1)
_MRZ_SEX: dict[str, Sex] = {"M": "male", "F": "female"}
_SEX_MRZ = {v: k for k, v in _MRZ_SEX.items()}


@dataclass(frozen=True, slots=True)
class MrzTd1:
    """A parsed and checked TD1 MRZ of a Vietnamese chip ID card."""

    document_number: str  # the last 9 digits of the ID number
    id_number: str  # the 12 digits from the optional data
    id_details: IdNumber  # id_number parsed
    birth_date: date
    sex: Sex
    expiry: date
    nationality: str
    surname: str  # "NGUYEN"
    given_names: str  # "VAN AN" ("" when the name has one part)
    name_raw: str  # line 3 without trailing filler: "NGUYEN<<VAN<AN"

    @property
    def full_name(self) -> str:
        """The name as ASCII words, comparable with :func:`eid.population.names.mrz_name`."""
        return f"{self.surname} {self.given_names}".strip()


def mrz_check_digit(s: str) -> str:
    """Return the ICAO 9303 check digit of ``s`` (weights 7, 3, 1; ``<`` counts 0).

    :raises ConfigurationError: ``bad_character`` if ``s`` has a character outside ``0-9A-Z<``.
    """
    try:
        total = sum(_VALUES[c] * _WEIGHTS[i % 3] for i, c in enumerate(s))
    except KeyError as e:
        raise ConfigurationError(
            f"not an MRZ character: {e.args[0]!r}", code="bad_character"
        ) from None
    return str(total % 10)


def _fail(field: str, code: str, message: str) -> DocumentError:
    return DocumentError(f"{field}: {message}", field=field, code=code)


def _lines(text: object) -> tuple[str, str, str]:
    if not isinstance(text, str):
        raise _fail("mrz", "not_string", f"expected a string, got {type(text).__name__}")
    if len(text) > _MAX_MRZ:
        raise _fail("mrz", "too_long", f"{len(text)} characters")
    if "\n" in text:
        lines = text.split("\n")
        if len(lines) != 3:
            raise _fail("mrz", "bad_line_count", f"expected 3 lines, got {len(lines)}")
    elif len(text) == 3 * _LINE:
        lines = [text[:_LINE], text[_LINE : 2 * _LINE], text[2 * _LINE :]]
    else:
        raise _fail("mrz", "bad_length", f"expected 3 lines of {_LINE} or {3 * _LINE} characters")
    for i, line in enumerate(lines, start=1):
        if len(line) != _LINE:
            raise _fail(f"line{i}", "bad_length", f"expected {_LINE} characters, got {len(line)}")
        if not _MRZ_CHARS.fullmatch(line):
            hint = " (lower case is not allowed)" if line.upper() != line else ""
            raise _fail(f"line{i}", "bad_character", f"only 0-9, A-Z and '<' are allowed{hint}")
    return lines[0], lines[1], lines[2]


def _checked(field: str, value: str, check: str) -> str:
    if mrz_check_digit(value) != check:
        raise _fail(field, "bad_check_digit", "check digit does not match")
    return value


def _mrz_date(field: str, yymmdd: str, not_before: int) -> date:
    """Read YYMMDD as the first such date whose year is not before ``not_before``."""
    if not yymmdd.isdigit():
        raise _fail(field, "bad_date", "expected YYMMDD digits")
    year = not_before - not_before % 100 + int(yymmdd[:2])
    if year < not_before:
        year += 100
    try:
        return date(year, int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        raise _fail(field, "bad_date", "not a calendar date") from None


def _id_number(field: str, value: str) -> IdNumber:
    try:
        return parse_id_number(value)
    except IdNumberError as e:
        raise DocumentError(f"{field}: {e.message}", field=field, code=e.code) from e


def parse_mrz_td1(text: str) -> MrzTd1:
    """Parse a TD1 MRZ (three 30-character lines joined by ``"\\n"``, or one of 90) and check it.

    Every check digit is verified: document number, the Vietnamese 12-digit ID
    number in the optional data, birth date, expiry and the composite. The birth
    century comes from the ID number's century digit; the expiry is read as the
    first such date after the birth date.

    :raises DocumentError: ``field`` is one of ``mrz``, ``line1``–``line3``,
        ``document_code``, ``issuing_state``, ``document_number``, ``id_number``,
        ``birth_date``, ``sex``, ``expiry``, ``nationality``, ``composite``, ``name``;
        ``code`` e.g. ``bad_check_digit``, ``bad_date``, ``id_number_mismatch``
        (``id_number`` failures carry :func:`parse_id_number`'s code).
    """
    l1, l2, l3 = _lines(text)
    if l1[:2] != "ID":
        raise _fail("document_code", "unsupported_document", "expected 'ID'")
    if l1[2:5] != "VNM":
        raise _fail("issuing_state", "unsupported_issuer", "expected 'VNM'")
    if not l1[5:14].isdigit():
        raise _fail("document_number", "not_digits", "expected 9 digits")
    doc = _checked("document_number", l1[5:14], l1[14])
    # Vietnamese optional data: the full ID number, "<", its check digit.
    if not (l1[15:27].isdigit() and l1[27:29] == "<<" and l1[29].isdigit()):
        raise _fail("id_number", "bad_format", "expected 12 digits, '<<' and a check digit")
    id_number = _id_number("id_number", _checked("id_number", l1[15:27], l1[29]))
    if id_number.value[3:] != doc:
        raise _fail("id_number", "document_number_mismatch", "does not end in the document number")

    birth = _mrz_date("birth_date", _checked("birth_date", l2[0:6], l2[6]), id_number.century)
    if birth.year != id_number.birth_year:
        raise _fail("birth_date", "id_number_mismatch", "year differs from the ID number's")
    sex = _MRZ_SEX.get(l2[7])
    if sex is None:
        raise _fail("sex", "bad_value", "expected 'M' or 'F'")
    if sex != id_number.sex:
        raise _fail("sex", "id_number_mismatch", "differs from the ID number's")
    expiry = _mrz_date("expiry", _checked("expiry", l2[8:14], l2[14]), birth.year)
    if expiry <= birth:
        raise _fail("expiry", "before_birth", "not after the birth date")
    if l2[15:18] != "VNM":
        raise _fail("nationality", "unsupported_nationality", "expected 'VNM'")
    # ICAO 9303 part 5, 4.2.2: upper line 6-30, middle line 1-7, 9-15 and 19-29.
    _checked("composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])

    match = _MRZ_NAME.fullmatch(l3)
    if match is None:
        raise _fail("name", "bad_format", "expected SURNAME<<GIVEN<NAMES")
    return MrzTd1(
        document_number=doc,
        id_number=id_number.value,
        id_details=id_number,
        birth_date=birth,
        sex=sex,
        expiry=expiry,
        nationality=l2[15:18],
        surname=match[1].replace("<", " "),
        given_names=(match[2] or "").replace("<", " "),
        name_raw=l3.rstrip("<"),
    )


def make_mrz_td1(id_number: str, *, name: str, birth_date: date, sex: Sex, expiry: date) -> str:
    """Build the TD1 MRZ of a (synthetic) card, three lines joined by ``"\\n"``.

    ``name`` is the full Vietnamese name; its first word becomes the surname, the
    rest the given names, as ASCII (:func:`~eid.population.names.mrz_name`),
    truncated to the line.

    :raises IdNumberError: if ``id_number`` is not a valid ID number.
    :raises ConfigurationError: ``bad_name`` or ``bad_sex`` for unusable arguments.
    """
    parsed = parse_id_number(id_number)
    words = mrz_name(name).split()
    if not words:
        raise ConfigurationError("name has no letters", code="bad_name")
    if sex not in _SEX_MRZ:
        raise ConfigurationError(f"sex must be 'male' or 'female', not {sex!r}", code="bad_sex")
    doc = parsed.value[3:]
    l1 = f"IDVNM{doc}{mrz_check_digit(doc)}{parsed.value}<<{mrz_check_digit(parsed.value)}"
    dob, exp = (f"{d.year % 100:02d}{d.month:02d}{d.day:02d}" for d in (birth_date, expiry))
    l2 = f"{dob}{mrz_check_digit(dob)}{_SEX_MRZ[sex]}{exp}{mrz_check_digit(exp)}VNM" + "<" * 11
    l2 += mrz_check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    l3 = (words[0] + "<<" + "<".join(words[1:]))[:_LINE].ljust(_LINE, "<")
    return "\n".join((l1, l2, l3))
