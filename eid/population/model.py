"""The citizen record of the National Population Database, and its e-ID account.

One frozen ``Citizen`` covers every field the Law on Citizen Identification
2014 art. 9 (as amended by the Law on Residence 2020) lists, under the names
integrators see in ``CongDan`` records (noted on each field). Every optional
field distinguishes *absent* (``None``: the database holds nothing) from
*empty* (``""``: the database holds an empty value); storage keeps the
difference.

These classes only check their own shape (cheap, so a registry can build
millions of them). Checks against other data – administrative units, the ID
number's encoded birth year and sex, relationships between people – belong to
the loader (:mod:`eid.population.fixtures`).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from eid.errors import PopulationError
from eid.population.idnumber import Sex

__all__ = [
    "ACCOUNT_LEVELS",
    "ACCOUNT_STATUSES",
    "BLOOD_TYPES",
    "MARITAL_STATUSES",
    "RELATIONSHIPS",
    "Account",
    "AccountLevel",
    "AccountStatus",
    "Address",
    "BloodType",
    "Citizen",
    "Household",
    "MaritalStatus",
    "PartialDate",
    "Relationship",
    "Relative",
]

AccountLevel = Literal["LoA1", "LoA2"]
"""Decree 69/2024/NĐ-CP: level 1 (self-registered in VNeID) and level 2 (checked in person)."""
AccountStatus = Literal["active", "locked"]
MaritalStatus = Literal["unknown", "single", "married", "divorced", "widowed"]
# Only declared with a lab result (Law on Citizen Identification art. 9), so often absent.
BloodType = Literal["A", "B", "AB", "O"]
# Relationship to the household head: the categories of Circular 55/2021/TT-BCA (as amended).
# "parent" and "child" cover birth, adoptive and step relations; in-law relations are kept
# apart because a household form (CT01 item 8) shows them differently.
Relationship = Literal[
    "head",
    "spouse",
    "parent",
    "parent_in_law",
    "child",
    "child_in_law",
    "grandparent",
    "grandchild",
    "great_grandparent",
    "great_grandchild",
    "sibling",
    "nephew_niece",
    "uncle_aunt",
    "guardian",
    "ward",
    "other",
]

ACCOUNT_LEVELS: tuple[AccountLevel, ...] = get_args(AccountLevel)
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = get_args(AccountStatus)
MARITAL_STATUSES: tuple[MaritalStatus, ...] = get_args(MaritalStatus)
BLOOD_TYPES: tuple[BloodType, ...] = get_args(BloodType)
RELATIONSHIPS: tuple[Relationship, ...] = get_args(Relationship)

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?|(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date whose month, or month and day, may be unknown.

    The population database stores birth dates as ``YYYYMMDD`` and holds
    partial ones (older records often know only the year), so a birth date is
    never forced into a full ``datetime.date``.

    :raises PopulationError: ``bad_date`` if the parts are not a real date, or a
        day is given without a month.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise PopulationError("a day needs a month", code="bad_date")
        try:
            _dt.date(self.year, self.month or 1, self.day or 1)
        except (ValueError, TypeError) as exc:
            raise PopulationError(f"not a date: {self.isoformat()}", code="bad_date") from exc

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or ``YYYYMMDD``.

        In the compact form ``00`` stands for an unknown month or day
        (``19500000``, ``19500300``), as in ``NgayThangNamSinh``.

        :raises PopulationError: ``bad_date`` if the text is none of these forms
            or not a real date.
        """
        match = _DATE_RE.fullmatch(text.strip())
        if match is None:
            raise PopulationError(f"not a date: {text!r}", code="bad_date")
        year, month, day, cyear, cmonth, cday = match.groups()
        if cyear is not None:
            m, d = int(cmonth), int(cday)
            if m == 0 and d != 0:
                raise PopulationError(f"a day needs a month: {text!r}", code="bad_date")
            return cls(int(cyear), m or None, d or None)
        return cls(int(year), int(month) if month else None, int(day) if day else None)

    @classmethod
    def from_date(cls, value: _dt.date) -> PartialDate:
        """The complete partial date of ``value``."""
        return cls(value.year, value.month, value.day)

    @property
    def is_complete(self) -> bool:
        """Whether year, month and day are all known."""
        return self.day is not None

    def isoformat(self) -> str:
        """``1990-05-01``, ``1990-05`` or ``1990``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def compact(self) -> str:
        """``YYYYMMDD`` with ``00`` for unknown parts, the ``NgayThangNamSinh`` form."""
        return f"{self.year:04d}{self.month or 0:02d}{self.day or 0:02d}"

    def earliest(self) -> _dt.date:
        """The first real date this partial date may stand for."""
        return _dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> _dt.date:
        """The last real date this partial date may stand for."""
        if self.day is not None and self.month is not None:
            return _dt.date(self.year, self.month, self.day)
        month = self.month or 12
        following = _dt.date(self.year + month // 12, month % 12 + 1, 1)
        return following - _dt.timedelta(days=1)

    def matches(self, other: PartialDate | _dt.date) -> bool:
        """Whether the two may be the same day: unknown parts on either side match anything."""
        if isinstance(other, _dt.date):
            other = PartialDate.from_date(other)
        if self.year != other.year:
            return False
        if self.month is None or other.month is None:
            return True
        if self.month != other.month:
            return False
        return self.day is None or other.day is None or self.day == other.day

    def __str__(self) -> str:
        return self.isoformat()


@dataclass(frozen=True, slots=True)
class Address:
    """An address: ``{province code, commune code, detail, country}`` as integrators see it.

    Codes are those of the 2025 reform (34 provinces, 3,321 communes); a
    residence needs both, while a birth-registration place or hometown may be
    known only as text (an old province name in ``detail``) or abroad
    (``country`` other than ``VNM``).
    """

    province_code: int | None = None
    commune_code: int | None = None
    detail: str | None = None
    country: str = "VNM"


@dataclass(frozen=True, slots=True)
class Relative:
    """Father, mother, spouse or legal representative as the record names them.

    Law on Citizen Identification art. 9: name, ID number and nationality. The
    ID number is absent for a relative without one (a foreigner, someone who
    died before numbers were issued).
    """

    full_name: str
    id_number: str | None = None
    nationality: str | None = "VNM"


@dataclass(frozen=True, slots=True)
class Household:
    """Membership of a household (``ChuHo {QuanHe, SoDinhDanh, HoVaTen}``)."""

    household_id: str
    relationship: Relationship
    head_id_number: str
    head_name: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """The e-identification (VNeID) account.

    ``password_hash`` is a self-describing scrypt string (see
    :mod:`eid.population.passwords`), never a password. ``registered_by`` is the
    ID number of the parent or guardian who registered a child under 6
    (Decree 69/2024/NĐ-CP: under 6, level 1 only, through a level-2 parent).
    """

    level: AccountLevel
    status: AccountStatus
    password_hash: str
    phone: str | None = None
    email: str | None = None
    registered_by: str | None = None


@dataclass(frozen=True, slots=True)
class Citizen:
    """One person in the National Population Database.

    ``full_name`` is the one authoritative birth name (NFC); the parts are
    kept only when the source gives them, never derived by splitting, since
    records exist with the whole name in one part.
    """

    id_number: str  # SoDinhDanh
    full_name: str  # HoVaTen
    birth_date: PartialDate  # NgayThangNamSinh
    sex: Sex  # GioiTinh
    family_name: str | None = None  # HoVaTen.Ho
    middle_name: str | None = None  # HoVaTen.ChuDem
    given_name: str | None = None  # HoVaTen.Ten
    birth_registration_place: Address | None = None  # NoiDangKyKhaiSinh
    hometown: Address | None = None  # QueQuan
    ethnicity: str | None = None  # DanToc, 2-digit GSO code, 99 unknown
    religion: str | None = None  # TonGiao, 00 none
    nationality: str | None = None  # QuocTich
    marital_status: MaritalStatus | None = None  # TinhTrangHonNhan
    blood_type: BloodType | None = None  # NhomMau
    permanent_residence: Address | None = None  # ThuongTru
    temporary_residence: Address | None = None  # TamTru
    current_residence: Address | None = None  # NoiOHienTai
    temporary_absence: str | None = None  # declared temporary absence (tạm vắng)
    household: Household | None = None  # ChuHo
    father: Relative | None = None  # Cha
    mother: Relative | None = None  # Me
    spouse: Relative | None = None  # VoChong
    legal_representative: Relative | None = None  # NguoiDaiDien
    death_date: PartialDate | None = None  # death, or declared missing
    old_id_number: str | None = None  # SoCMND
    account: Account | None = field(default=None, repr=False)

    @property
    def is_deceased(self) -> bool:
        """Whether a date of death (or of being declared missing) is recorded."""
        return self.death_date is not None

    def age_on(self, on: _dt.date) -> int:
        """Age in whole years on ``on``; with a partial birth date, the youngest possible age.

        The youngest age is the safe side for age-gated rules (an account under
        6 must be level 1).
        """
        born = self.birth_date.latest()
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
