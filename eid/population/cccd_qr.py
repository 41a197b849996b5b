"""The chip ID card's (CCCD) QR code: parse, check, build.

Payload (printed on every chip card since 2021 and scanned by e-service
counters to prefill forms)::

    ID number|old CMND|Full Name|ddmmyyyy birth|Nam or Nữ|permanent address|ddmmyyyy issue

The parser takes untrusted text from a scanner: whatever it is given, it either
returns a value or raises :class:`~eid.errors.DocumentError` whose ``field``
names the part at fault and whose ``code`` names the rule. Input is capped in
length before any work is done.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from eid.errors import ConfigurationError, DocumentError, IdNumberError
from eid.population.idnumber import IdNumber, Sex, parse_id_number, parse_old_id_number
from eid.population.names import normalize_name

__all__ = ["CccdQr", "make_cccd_qr", "parse_cccd_qr"]

_MAX_QR = 1024  # real payloads are ~200 characters; the cap bounds the work done
_QR_DATE = re.compile(r"[0-9]{8}")
_QR_SEX: dict[str, Sex] = {"Nam": "male", "Nữ": "female"}
_SEX_QR = {v: k for k, v in _QR_SEX.items()}


@dataclass(frozen=True, slots=True)
class CccdQr:
    """A parsed and checked CCCD QR payload; text fields are NFC and whitespace-normalised."""

    id_number: str
    id_details: IdNumber  # id_number parsed
    old_id_number: str | None
    full_name: str
    birth_date: date
    sex: Sex
    address: str
    issue_date: date


def _fail(field: str, code: str, message: str) -> DocumentError:
    return DocumentError(f"{field}: {message}", field=field, code=code)


def _id_number(field: str, value: str) -> IdNumber:
    try:
        return parse_id_number(value)
    except IdNumberError as e:
        raise DocumentError(f"{field}: {e.message}", field=field, code=e.code) from e


def _qr_date(field: str, ddmmyyyy: str) -> date:
    if not _QR_DATE.fullmatch(ddmmyyyy):
        raise _fail(field, "bad_date", "expected ddmmyyyy")
    try:
        return date(int(ddmmyyyy[4:]), int(ddmmyyyy[2:4]), int(ddmmyyyy[:2]))
    except ValueError:
        raise _fail(field, "bad_date", "not a calendar date") from None


def _qr_text(field: str, value: str) -> str:
    text = normalize_name(value)
    if not text:
        raise _fail(field, "missing", "empty")
    if any(unicodedata.category(c)[0] == "C" for c in text):
        raise _fail(field, "bad_character", "control or unassigned character")
    return text


def parse_cccd_qr(payload: str) -> CccdQr:
    """Parse the QR code of a chip ID card and check each field and their consistency.

    Exactly seven ``|``-separated fields; NFC and NFD input are both accepted.

    :raises DocumentError: ``field`` is one of ``payload``, ``id_number``,
        ``old_id_number``, ``full_name``, ``birth_date``, ``sex``, ``address``,
        ``issue_date``; ``code`` e.g. ``bad_field_count``, ``bad_date``,
        ``before_birth``, ``id_number_mismatch`` (ID failures carry the ID parser's code).
    """
    if not isinstance(payload, str):
        raise _fail("payload", "not_string", f"expected a string, got {type(payload).__name__}")
    if len(payload) > _MAX_QR:
        raise _fail("payload", "too_long", f"{len(payload)} characters")
    fields = unicodedata.normalize("NFC", payload).split("|")
    if len(fields) != 7:
        raise _fail("payload", "bad_field_count", f"expected 7 fields, got {len(fields)}")
    raw_id, raw_old, raw_name, raw_birth, raw_sex, raw_address, raw_issue = fields

    id_number = _id_number("id_number", raw_id)
    old: str | None = None
    if raw_old:
        try:
            old = parse_old_id_number(raw_old).value
        except IdNumberError as e:
            raise DocumentError(
                f"old_id_number: {e.message}", field="old_id_number", code=e.code
            ) from e
    full_name = _qr_text("full_name", raw_name)
    if not all(c.isalpha() or c in " -'" for c in full_name):
        raise _fail("full_name", "bad_character", "only letters, spaces, '-' and \"'\" are allowed")
    birth = _qr_date("birth_date", raw_birth)
    if birth.year != id_number.birth_year:
        raise _fail("birth_date", "id_number_mismatch", "year differs from the ID number's")
    sex = _QR_SEX.get(raw_sex)
    if sex is None:
        raise _fail("sex", "bad_value", "expected 'Nam' or 'Nữ'")
    if sex != id_number.sex:
        raise _fail("sex", "id_number_mismatch", "differs from the ID number's")
    address = _qr_text("address", raw_address)
    issue = _qr_date("issue_date", raw_issue)
    if issue < birth:
        raise _fail("issue_date", "before_birth", "before the birth date")
    return CccdQr(
        id_number=id_number.value,
        id_details=id_number,
        old_id_number=old,
        full_name=full_name,
        birth_date=birth,
        sex=sex,
        address=address,
        issue_date=issue,
    )


def _ddmmyyyy(d: date) -> str:
    return f"{d.day:02d}{d.month:02d}{d.year:04d}"


def make_cccd_qr(
    id_number: str,
    *,
    name: str,
    birth_date: date,
    sex: Sex,
    address: str,
    issue_date: date,
    old_id_number: str | None = None,
) -> str:
    """Build a (synthetic) CCCD QR payload in the card's format.

    :raises ConfigurationError: ``bad_field`` if a value contains ``|`` or a line break,
        ``bad_sex`` for an unknown sex.
    """
    if sex not in _SEX_QR:
        raise ConfigurationError(f"sex must be 'male' or 'female', not {sex!r}", code="bad_sex")
    texts = (id_number, old_id_number or "", name, address)
    if any("|" in t or "\n" in t for t in texts):
        raise ConfigurationError("a field contains '|' or a line break", code="bad_field")
    return "|".join(
        (
            id_number,
            old_id_number or "",
            normalize_name(name),
            _ddmmyyyy(birth_date),
            _SEX_QR[sex],
            normalize_name(address),
            _ddmmyyyy(issue_date),
        )
    )
