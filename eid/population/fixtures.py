"""The one loader for identity data files (``fixtures/identities.json`` and the like).

A file is ``{"citizens": [record, ...]}`` in the record format of
:mod:`eid.population.codec`. Loading checks every record against the rules the
population database keeps, and the file as a whole, and stops at the first
failure with a :class:`~eid.errors.DataError` naming the file, the record and
the field; ``code`` says which rule (see ``fixtures/README.md``):

* each record: its shape; the ID number (well-formed, agreeing with birth year
  and sex); the old CMND; the name parts (when given, in order, they spell the
  full name); dates (no birth in the future, no death before birth);
  residences in real 2025 communes of their province; codes (ethnicity,
  religion, nationality); the account (a verifiable password hash; under 6,
  level 1 only and registered by a parent holding level 2, Decree
  69/2024/NĐ-CP; no active account for the dead);
* across records: unique ID numbers; every referenced ID number present, with
  the name it is recorded under; spouses married to each other; a father
  male, a mother female, both older than the child; households with one head
  whose relationships agree with the family links (Circular 55/2021/TT-BCA).

Names arrive in any Unicode form (the fixtures hold one NFD name on purpose)
and are stored NFC.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eid.datafiles import fixture_path, read_json
from eid.errors import DataError, IdNumberError, NotFoundError, PopulationError
from eid.population.codec import RecordError, citizen_from_record
from eid.population.codes import ethnicity_name
from eid.population.idnumber import parse_id_number, parse_old_id_number
from eid.population.model import Address, Citizen
from eid.population.names import normalize_name
from eid.population.passwords import is_password_hash
from eid.population.sqlite import SqliteRegistry
from eid.population.units import province, validate_residence

__all__ = ["default_identities_path", "load_citizens", "load_fixture_registry"]

_CODE2 = re.compile(r"\d{2}")
_COUNTRY = re.compile(r"[A-Z]{3}")


def default_identities_path() -> Path:
    """The shipped fixture identities (``fixtures/identities.json`` in the repository)."""
    return fixture_path("identities.json")


def load_fixture_registry(
    path: str | os.PathLike[str] | None = None, *, today: _dt.date | None = None,
    keep_decoded: int = 0,
) -> SqliteRegistry:
    """An in-memory registry holding the validated identities of ``path`` (default: fixtures);
    ``keep_decoded`` as for :class:`SqliteRegistry`.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: the file fails validation.
    """
    registry = SqliteRegistry(keep_decoded=keep_decoded)
    registry.add_many(load_citizens(path, today=today))
    return registry


def load_citizens(
    path: str | os.PathLike[str] | None = None, *, today: _dt.date | None = None
) -> list[Citizen]:
    """Read and validate an identity file; ``today`` fixes the date for age rules.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: ``bad_encoding``, ``bad_json``, ``bad_format``, ``bad_record`` or
        the rule that failed (``field`` names the record and field).
    """
    source = Path(path) if path is not None else default_identities_path()
    raw: Any = read_json(source)
    records = raw.get("citizens") if isinstance(raw, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError("expected {\"citizens\": [objects]}", source=str(source), code="bad_format")
    return _Validator(str(source), today or _dt.date.today()).run(records)


class _Validator:
    def __init__(self, source: str, today: _dt.date) -> None:
        self.source, self.today = source, today
        self.by_id: dict[str, Citizen] = {}
        self.where: dict[str, str] = {}
        self.heads: dict[str, str] = {}  # household ID -> its head's ID number

    def fail(self, where: str, field: str, message: str, code: str) -> DataError:
        return DataError(message, source=self.source, field=f"{where}.{field}", code=code)

    def run(self, records: list[dict[str, Any]]) -> list[Citizen]:
        citizens = []
        for i, rec in enumerate(records):
            where = f"citizens[{i}]"
            try:
                citizen = citizen_from_record(rec)
            except RecordError as exc:
                raise self.fail(where, exc.field, exc.message, "bad_record") from exc
            where = f"citizens[{i}] ({citizen.id_number})"
            if citizen.id_number in self.by_id:
                raise self.fail(where, "id_number", "appears twice", "duplicate_id_number")
            self.by_id[citizen.id_number] = citizen
            self.where[citizen.id_number] = where
            self.record(citizen, where)
            citizens.append(citizen)
        for citizen in citizens:
            self.links(citizen, self.where[citizen.id_number])
        return citizens

    # -- one record ----------------------------------------------------------
    def record(self, c: Citizen, where: str) -> None:
        try:
            number = parse_id_number(c.id_number)
        except IdNumberError as exc:
            raise self.fail(where, "id_number", str(exc), "bad_id_number") from exc
        if not number.agrees_with(birth_year=c.birth_date.year, sex=c.sex):
            raise self.fail(
                where, "id_number",
                f"encodes {number.sex}, born {number.birth_year}; record says {c.sex},"
                f" {c.birth_date.year}", "id_number_mismatch",
            )
        if c.old_id_number is not None:
            try:
                parse_old_id_number(c.old_id_number)
            except IdNumberError as exc:
                raise self.fail(where, "old_id_number", str(exc), "bad_old_id_number") from exc
        if not c.full_name:
            raise self.fail(where, "full_name", "empty", "empty_name")
        parts = " ".join(p for p in (c.family_name, c.middle_name, c.given_name) if p)
        if parts and parts != c.full_name:
            raise self.fail(
                where, "given_name", f"parts spell {parts!r}, not the full name",
                "name_parts_mismatch",
            )
        if c.birth_date.earliest() > self.today:
            raise self.fail(where, "birth_date", "in the future", "born_in_future")
        if c.death_date is not None and c.death_date.latest() < c.birth_date.earliest():
            raise self.fail(where, "death_date", "before birth", "death_before_birth")
        for name in ("permanent_residence", "temporary_residence", "current_residence"):
            self.address(getattr(c, name), where, name, residence=True)
        for name in ("birth_registration_place", "hometown"):
            self.address(getattr(c, name), where, name, residence=False)
        self.code(c.ethnicity, where, "ethnicity", ethnicity_name, "unknown_ethnicity")
        if c.religion is not None and not _CODE2.fullmatch(c.religion):
            raise self.fail(where, "religion", "expected a 2-digit code", "bad_religion")
        if c.nationality is not None and not _COUNTRY.fullmatch(c.nationality):
            raise self.fail(where, "nationality", "expected an ISO 3166 alpha-3 code",
                            "bad_nationality")
        self.account(c, where)

    def code(
        self, value: str | None, where: str, field: str, check: Callable[[str], str], code: str
    ) -> None:
        if value is not None:
            try:
                check(value)
            except PopulationError as exc:
                raise self.fail(where, field, str(exc), code) from exc

    def address(self, a: Address | None, where: str, field: str, *, residence: bool) -> None:
        if a is None or a.country != "VNM":
            return
        try:
            if a.commune_code is not None or residence:
                if a.commune_code is None or a.province_code is None:
                    raise self.fail(where, field, "needs province and commune codes",
                                    "incomplete_address")
                validate_residence(a.province_code, a.commune_code)
            elif a.province_code is not None:
                province(a.province_code)
        except NotFoundError as exc:
            raise self.fail(where, field, str(exc), exc.code) from exc

    def account(self, c: Citizen, where: str) -> None:
        a = c.account
        if a is None:
            return
        if not is_password_hash(a.password_hash):
            raise self.fail(
                where, "account.password_hash", "not a scrypt hash", "bad_password_hash"
            )
        if c.is_deceased and a.status == "active":
            raise self.fail(where, "account.status", "active account of a dead person",
                            "deceased_with_active_account")
        # Decree 69/2024/NĐ-CP: under 6, level 1 only, registered by a level-2 parent/guardian.
        if c.age_on(self.today) < 6:
            if a.level != "LoA1":
                raise self.fail(where, "account.level", "under 6: level 1 only",
                                "level_not_allowed")
            if a.registered_by is None:
                raise self.fail(where, "account.registered_by", "under 6: registered by a parent",
                                "missing_registrant")

    # -- across records ------------------------------------------------------
    def resolve(self, where: str, field: str, id_number: str | None, name: str | None) -> Citizen:
        other = self.by_id.get(id_number or "")
        if other is None:
            raise self.fail(where, field, f"{id_number} is not in the file", "unknown_reference")
        if name is not None and name and other.full_name != normalize_name(name):
            raise self.fail(where, field, f"{id_number} is {other.full_name!r}, not {name!r}",
                            "reference_name_mismatch")
        return other

    def links(self, c: Citizen, where: str) -> None:
        for field in ("father", "mother", "spouse", "legal_representative"):
            ref = getattr(c, field)
            if ref is None or ref.id_number is None:
                continue
            other = self.resolve(where, field, ref.id_number, ref.full_name)
            mutual = other.spouse is not None and other.spouse.id_number == c.id_number
            if field == "spouse" and not mutual:
                raise self.fail(where, field, f"{other.id_number} is not married to this citizen",
                                "not_mutual")
            if field in ("father", "mother"):
                if other.sex != ("male" if field == "father" else "female"):
                    raise self.fail(where, field, f"{other.id_number} is {other.sex}",
                                    "wrong_parent_sex")
                if other.birth_date.earliest() >= c.birth_date.latest():
                    raise self.fail(where, field, "not older than the child", "parent_too_young")
        if c.account is not None and c.account.registered_by is not None:
            parent = self.resolve(where, "account.registered_by", c.account.registered_by, None)
            if parent.account is None or parent.account.level != "LoA2":
                raise self.fail(where, "account.registered_by",
                                "registrant holds no level-2 account", "bad_registrant")
        if c.household is not None:
            self.household(c, where)

    def household(self, c: Citizen, where: str) -> None:
        assert c.household is not None  # noqa: S101 - checked by the caller
        hh = c.household
        # One head per household: every member names the same one.
        if self.heads.setdefault(hh.household_id, hh.head_id_number) != hh.head_id_number:
            raise self.fail(where, "household.head_id_number",
                            f"{hh.household_id} is headed by {self.heads[hh.household_id]}",
                            "bad_household")
        head = self.resolve(where, "household.head_id_number", hh.head_id_number, hh.head_name)
        if head.household is None or head.household.household_id != hh.household_id \
                or head.household.relationship != "head":
            raise self.fail(where, "household", f"{head.id_number} does not head {hh.household_id}",
                            "bad_household")
        if (hh.relationship == "head") != (head.id_number == c.id_number):
            raise self.fail(where, "household.relationship", "only the head is 'head'",
                            "bad_household")
        # Circular 55/2021/TT-BCA: the relationship to the head must match the family links.
        spouse = self.by_id.get(head.spouse.id_number or "") if head.spouse else None
        expected = {
            "spouse": spouse is not None and spouse.id_number == c.id_number,
            "parent": c.id_number in _parent_ids(head),
            "child": bool(_parent_ids(c) & {head.id_number, spouse.id_number if spouse else ""}),
            "parent_in_law": spouse is not None and c.id_number in _parent_ids(spouse),
        }
        if not expected.get(hh.relationship, True):
            raise self.fail(where, "household.relationship",
                            f"{hh.relationship!r} does not match the family links",
                            "relationship_mismatch")


def _parent_ids(c: Citizen) -> set[str]:
    return {r.id_number for r in (c.father, c.mother) if r is not None and r.id_number}
