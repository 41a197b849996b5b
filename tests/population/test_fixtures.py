"""The fixture identities: what they cover, their passwords, and the loader's validation."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.errors import DataError, DataFileMissing
from eid.population import (
    Citizen,
    SqliteRegistry,
    communes_of,
    load_citizens,
    parse_id_number,
    verify_password,
)

from .conftest import TODAY

README = Path(__file__).resolve().parents[2] / "fixtures" / "README.md"
ROW = re.compile(r"^\| `(\d{12})` \| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", re.M)
HCMC = 79


@pytest.fixture(scope="module")
def people(registry: SqliteRegistry) -> list[Citizen]:
    return list(registry)


def _readme_rows() -> list[tuple[str, ...]]:
    return ROW.findall(README.read_text(encoding="utf-8"))


def _age(c: Citizen) -> int:
    return c.age_on(TODAY)


# -- coverage: the categories the issue asks for ------------------------------------
COVERAGE: dict[str, Callable[[Citizen], bool]] = {
    "level 1 account": lambda c: c.account is not None and c.account.level == "LoA1",
    "level 2 account": lambda c: c.account is not None and c.account.level == "LoA2",
    "locked account": lambda c: c.account is not None and c.account.status == "locked",
    "deceased": lambda c: c.is_deceased,
    "child 6-13": lambda c: 6 <= _age(c) <= 13,
    "born 1900s male": lambda c: c.birth_date.year < 2000 and c.sex == "male",
    "born 1900s female": lambda c: c.birth_date.year < 2000 and c.sex == "female",
    "born 2000s male": lambda c: c.birth_date.year >= 2000 and c.sex == "male",
    "born 2000s female": lambda c: c.birth_date.year >= 2000 and c.sex == "female",
    "one-word name part": lambda c: any(
        p and " " not in p for p in (c.family_name, c.middle_name, c.given_name)
    ) and c.middle_name in (None, ""),
    "đ in the name": lambda c: "đ" in c.full_name.lower(),
    "tone new style (oà/oẻ/uý)": lambda c: any(s in c.full_name for s in ("oà", "oẻ", "uý")),
    "tone old style (òa/ỏe/úy)": lambda c: any(s in c.full_name for s in ("òa", "ỏe", "úy")),
    "no blood type": lambda c: c.blood_type is None,
    "no temporary residence": lambda c: c.temporary_residence is None,
    "temporary residence": lambda c: c.temporary_residence is not None,
    "ethnicity 99": lambda c: c.ethnicity == "99",
    "old CMND": lambda c: c.old_id_number is not None,
    "074 in a Hồ Chí Minh City commune": lambda c: c.id_number.startswith("074")
    and c.permanent_residence is not None and c.permanent_residence.province_code == HCMC,
    "074 in another province": lambda c: c.id_number.startswith("074")
    and c.permanent_residence is not None and c.permanent_residence.province_code != HCMC,
    "partial birth date": lambda c: not c.birth_date.is_complete,
}


@pytest.mark.parametrize("category", COVERAGE)
def test_fixtures_cover(people: list[Citizen], category: str) -> None:
    assert any(COVERAGE[category](c) for c in people), category


def test_at_least_thirty_people(people: list[Citizen]) -> None:
    assert len(people) >= 30


def test_child_under_6_registered_by_a_level_2_parent(registry: SqliteRegistry) -> None:
    under_6 = [c for c in registry if _age(c) < 6 and c.account is not None]
    assert under_6
    for child in under_6:
        assert child.account is not None and child.account.level == "LoA1"
        parent = registry.get(child.account.registered_by or "")
        assert parent.account is not None and parent.account.level == "LoA2"
        assert parent.id_number in {r.id_number for r in (child.father, child.mother) if r}


def test_household_with_head_spouse_children_and_grandparent(registry: SqliteRegistry) -> None:
    complete = []
    for head in registry:
        if head.household is None or head.household.relationship != "head":
            continue
        members = registry.household(head.id_number)
        roles = {m.household.relationship for m in members if m.household}
        if {"head", "spouse", "child", "parent"} <= roles:
            complete.append(members)
    assert complete
    members = complete[0]
    head, spouse = members[0], next(m for m in members if m.household and
                                    m.household.relationship == "spouse")
    assert head.spouse is not None and head.spouse.id_number == spouse.id_number
    assert spouse.spouse is not None and spouse.spouse.id_number == head.id_number
    grandparent = next(m for m in members if m.household and m.household.relationship == "parent")
    assert head.father is not None and head.father.id_number == grandparent.id_number
    assert head.id_number in {c.id_number for c in registry.relatives(grandparent.id_number)
                              .children}


def test_one_name_is_nfd_in_the_source(identities: list[dict[str, Any]]) -> None:
    nfd = [r for r in identities if any(0x300 <= ord(ch) < 0x370 for ch in r["full_name"])]
    assert nfd, "one name must be stored NFD in identities.json"


def test_residences_are_real_communes(people: list[Citizen]) -> None:
    for c in people:
        for address in (c.permanent_residence, c.temporary_residence, c.current_residence):
            if address is not None:
                codes = {x.code for x in communes_of(address.province_code or 0)}
                assert address.commune_code in codes, c.id_number


# -- the README table ------------------------------------------------------------
def test_readme_documents_every_identity(people: list[Citizen]) -> None:
    rows = {row[0]: row for row in _readme_rows()}
    assert set(rows) == {c.id_number for c in people}
    for c in people:
        _, name, level, _, purpose = rows[c.id_number]
        assert name == c.full_name
        assert level.split()[0] == (c.account.level if c.account else "–")
        assert purpose.strip()


def test_every_password_verifies(people: list[Citizen]) -> None:
    passwords = {row[0]: row[3].strip("`") for row in _readme_rows() if row[3] != "–"}
    with_account = {c.id_number: c for c in people if c.account is not None}
    assert set(passwords) == set(with_account)
    for id_number, password in passwords.items():
        account = with_account[id_number].account
        assert account is not None
        assert verify_password(password, account.password_hash), id_number
        assert not verify_password(password + "x", account.password_hash)


# -- the loader's validation: mutation -> expected code ----------------------------
Mutation = Callable[[list[dict[str, Any]]], None]


def _rec(records: list[dict[str, Any]], id_number: str) -> dict[str, Any]:
    return next(r for r in records if r["id_number"] == id_number)


def _set(id_number: str, path: str, value: Any) -> Mutation:
    def mutate(records: list[dict[str, Any]]) -> None:
        target = _rec(records, id_number)
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return mutate


_DELETE = object()
HUNG, HOA, KHANG, BAO, TU, SAU = (
    "074078000101", "074181000202", "074209000303", "074223000505", "074048000606",
    "074035001414",
)

FAILURES: list[Any] = [
    pytest.param(_set(HUNG, "nickname", "Hùng"), "bad_record", "nickname", id="unknown-key"),
    pytest.param(_set(HUNG, "sex", "M"), "bad_record", "sex", id="bad-sex"),
    pytest.param(_set(HUNG, "birth_date", "1978-02-30"), "bad_record", "birth_date",
                 id="bad-date"),
    pytest.param(_set(HUNG, "full_name", 5), "bad_record", "full_name", id="name-not-text"),
    pytest.param(_set(HUNG, "account.level", "LoA3"), "bad_record", "account.level",
                 id="bad-level"),
    pytest.param(_set(HUNG, "permanent_residence", "15 Yersin"), "bad_record",
                 "permanent_residence", id="address-not-object"),
    pytest.param(lambda r: r.append(copy.deepcopy(r[0])), "duplicate_id_number", "id_number",
                 id="duplicate"),
    pytest.param(_set(HUNG, "id_number", "999078000101"), "bad_id_number", "id_number",
                 id="bad-id"),
    pytest.param(_set(HUNG, "birth_date", "1979-03-15"), "id_number_mismatch", "id_number",
                 id="id-year"),
    pytest.param(_set(TU, "sex", "female"), "id_number_mismatch", "id_number", id="id-sex"),
    pytest.param(_set(HUNG, "old_id_number", "28051234"), "bad_old_id_number", "old_id_number",
                 id="bad-cmnd"),
    pytest.param(_set(HUNG, "full_name", ""), "empty_name", "full_name", id="empty-name"),
    pytest.param(_set(HUNG, "given_name", "Hưng"), "name_parts_mismatch", "given_name",
                 id="parts"),
    pytest.param(_set(SAU, "death_date", "1930"), "death_before_birth", "death_date",
                 id="death-before-birth"),
    pytest.param(_set(HUNG, "permanent_residence.commune_code", _DELETE), "incomplete_address",
                 "permanent_residence", id="no-commune"),
    pytest.param(_set(HUNG, "permanent_residence.province_code", 99), "unknown_province",
                 "permanent_residence", id="unknown-province"),
    pytest.param(_set(HUNG, "permanent_residence.commune_code", 1), "unknown_commune",
                 "permanent_residence", id="unknown-commune"),
    pytest.param(_set(HUNG, "permanent_residence.province_code", 1), "commune_not_in_province",
                 "permanent_residence", id="commune-elsewhere"),
    pytest.param(_set(HUNG, "ethnicity", "77"), "unknown_ethnicity", "ethnicity",
                 id="ethnicity"),
    pytest.param(_set(HUNG, "religion", "0"), "bad_religion", "religion", id="religion"),
    pytest.param(_set(HUNG, "nationality", "VN"), "bad_nationality", "nationality",
                 id="nationality"),
    pytest.param(_set(HUNG, "account.password_hash", "Hung-1978!"), "bad_password_hash",
                 "account.password_hash", id="plain-password"),
    pytest.param(_set(SAU, "account.status", "active"), "deceased_with_active_account",
                 "account.status", id="dead-active"),
    pytest.param(_set(BAO, "account.level", "LoA2"), "level_not_allowed", "account.level",
                 id="under-6-level-2"),
    pytest.param(_set(BAO, "account.registered_by", _DELETE), "missing_registrant",
                 "account.registered_by", id="under-6-unregistered"),
    pytest.param(_set(BAO, "account.registered_by", KHANG), "bad_registrant",
                 "account.registered_by", id="registrant-level-1"),
    pytest.param(_set(HUNG, "spouse.id_number", "074181999999"), "unknown_reference", "spouse",
                 id="unknown-spouse"),
    pytest.param(_set(KHANG, "father.full_name", "Nguyễn Văn Hưng"), "reference_name_mismatch",
                 "father", id="father-name"),
    pytest.param(_set(HOA, "spouse", _DELETE), "not_mutual", "spouse", id="not-mutual"),
    pytest.param(_set(KHANG, "father", {"full_name": "Trần Thị Hoà", "id_number": HOA}),
                 "wrong_parent_sex", "father", id="father-female"),
    pytest.param(_set(HUNG, "father", {"full_name": "Nguyễn Minh Khang", "id_number": KHANG}),
                 "parent_too_young", "father", id="father-younger"),
    pytest.param(_set(HOA, "household.relationship", "head"), "bad_household",
                 "household.relationship", id="two-heads"),
    pytest.param(_set(SAU, "household", {"household_id": "HK-Z-0009", "relationship": "other",
                                         "head_id_number": HOA, "head_name": "Trần Thị Hoà"}),
                 "bad_household", "household", id="head-not-head"),
    pytest.param(_set(KHANG, "household", {"household_id": "HK-A-0001", "relationship": "head",
                                           "head_id_number": KHANG,
                                           "head_name": "Nguyễn Minh Khang"}),
                 "bad_household", "household.head_id_number", id="second-head"),
    pytest.param(_set(KHANG, "household.relationship", "parent"), "relationship_mismatch",
                 "household.relationship", id="relationship"),
    pytest.param(_set(TU, "household.relationship", "child"), "relationship_mismatch",
                 "household.relationship", id="grandparent-as-child"),
]


@pytest.mark.parametrize(("mutate", "code", "field"), FAILURES)
def test_loader_rejects(
    tmp_path: Path, identities: list[dict[str, Any]], mutate: Mutation, code: str, field: str
) -> None:
    records = copy.deepcopy(identities)
    mutate(records)
    path = tmp_path / "identities.json"
    path.write_text(json.dumps({"citizens": records}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_citizens(path, today=TODAY)
    assert info.value.code == code
    assert info.value.source == str(path)
    assert info.value.field is not None and info.value.field.endswith(field)
    assert str(path) in str(info.value)


def test_birth_after_today_is_refused(identities_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_citizens(identities_path, today=dt.date(2023, 1, 1))
    assert info.value.code == "born_in_future"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("{not json", "bad_json"),
        ('{"people": []}', "bad_format"),
        ('{"citizens": [1, 2]}', "bad_format"),
        ("[]", "bad_format"),
    ],
)
def test_file_shape(tmp_path: Path, content: str, code: str) -> None:
    path = tmp_path / "identities.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_citizens(path)
    assert (info.value.code, info.value.source) == (code, str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileMissing) as info:
        load_citizens(tmp_path / "absent.json")
    assert info.value.code == "data_file_missing"


def test_ids_agree_with_birth_and_sex(people: list[Citizen]) -> None:
    for c in people:
        assert parse_id_number(c.id_number).agrees_with(birth_year=c.birth_date.year, sex=c.sex)
