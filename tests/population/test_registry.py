"""The registry contract, on SQLite and PostgreSQL loaded from the fixture identities."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from eid.errors import ConfigurationError, IdNumberError, NotFoundError
from eid.population import Citizen, PartialDate, Registry, Relative, SqliteRegistry
from eid.population.postgres import PostgresRegistry

#: What the ``registry`` fixture is: each backend in turn.
AnyRegistry = SqliteRegistry | PostgresRegistry

HEAD = "074078000101"  # Nguyễn Văn Hùng, head of household A
SPOUSE = "074181000202"  # Trần Thị Hoà
GRANDFATHER = "074048000606"  # Nguyễn Văn Tư, the head's father
CHILDREN = ("074209000303", "074223000505", "074315000404")


def ids(citizens: list[Citizen] | tuple[Citizen, ...]) -> list[str]:
    return [c.id_number for c in citizens]


def test_every_registry_implements_the_protocol(registry: AnyRegistry) -> None:
    assert isinstance(registry, Registry)


def test_get_returns_the_whole_record(registry: AnyRegistry) -> None:
    citizen = registry.get(HEAD)
    assert (citizen.full_name, citizen.birth_date, citizen.sex) == (
        "Nguyễn Văn Hùng", PartialDate(1978, 3, 15), "male",
    )
    assert citizen.old_id_number == "280512345"
    assert citizen.account is not None and citizen.account.level == "LoA2"


def test_unknown_id_is_not_found(registry: AnyRegistry) -> None:
    with pytest.raises(NotFoundError) as info:
        registry.get("074078999999")
    assert info.value.code == "citizen_not_found"
    assert registry.find("074078999999") is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "bad_length"),
        ("07407800010", "bad_length"),
        ("280512345", "bad_length"),  # an old CMND is never an identifier
        (" 074078000101", "bad_length"),
        ("07407800010a", "not_digits"),
        ("٠٧٤٠٧٨٠٠٠١٠١", "not_digits"),  # Arabic-Indic digits: int() would read them
        ("999078000101", "unknown_province"),
        (74078000101, "not_string"),
    ],
)
@pytest.mark.parametrize("method", ["get", "find", "household", "relatives"])
def test_malformed_id_is_an_id_number_error(
    registry: AnyRegistry, method: str, value: object, code: str
) -> None:
    with pytest.raises(IdNumberError) as info:
        getattr(registry, method)(value)
    assert info.value.code == code


@pytest.mark.parametrize(
    "query",
    [
        "Nguyễn Văn Hùng",
        "Nguyen Van Hung",
        "NGUYEN VAN HUNG",
        "nguyenvanhung",
        "  Nguyễn   Văn\tHùng ",
        unicodedata.normalize("NFD", "Nguyễn Văn Hùng"),
    ],
)
def test_name_search_ignores_case_diacritics_spaces_and_form(
    registry: AnyRegistry, query: str
) -> None:
    assert ids(registry.search(query)) == [HEAD]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Do Thi My Duyen", "074197000808"),  # stored Đỗ: đ does not decompose
        ("ĐỖ THỊ MỸ DUYÊN", "074197000808"),
        ("dang thi kim oanh", "048182003030"),
        ("Trần Thị Hòa", SPOUSE),  # stored Hoà (new style)
        ("Lê Văn Hoà", "001080001818"),  # stored Hòa (old style)
        ("Bùi Văn Khỏe", "079066002323"),  # stored Khoẻ
        (unicodedata.normalize("NFD", "Võ Thị Ánh Nguyệt"), "079192001515"),
        ("Vo Thi Anh Nguyet", "079192001515"),
        ("Ksor H'Bia", "064301002222"),
    ],
)
def test_name_search_folds_d_and_tone_placement(
    registry: AnyRegistry, query: str, expected: str
) -> None:
    assert ids(registry.search(query)) == [expected]


def test_both_tone_conventions_are_one_name(registry: AnyRegistry) -> None:
    found = registry.search("Phan Thi Thuy", PartialDate(1991, 3, 3))
    assert ids(found) == ["079191001616", "079191001717"]
    assert {c.full_name for c in found} == {"Phan Thị Thuý", "Phan Thị Thúy"}


def test_stored_names_are_nfc(registry: AnyRegistry) -> None:
    for citizen in registry:
        assert unicodedata.is_normalized("NFC", citizen.full_name), citizen.id_number


@pytest.mark.parametrize(
    ("born", "found"),
    [
        (PartialDate(1978, 3, 15), [HEAD]),
        (dt.date(1978, 3, 15), [HEAD]),
        (PartialDate(1978, 3), [HEAD]),
        (PartialDate(1978), [HEAD]),
        (PartialDate(1978, 3, 16), []),
        (PartialDate(1979), []),
        (None, [HEAD]),
    ],
)
def test_search_by_name_and_birth_date(
    registry: AnyRegistry, born: PartialDate | dt.date | None, found: list[str]
) -> None:
    assert ids(registry.search("Nguyen Van Hung", born)) == found


def test_a_partial_stored_birth_date_matches_any_day_of_it(registry: AnyRegistry) -> None:
    # Nguyễn Văn Tư's birth is known only as 1948.
    assert ids(registry.search("Nguyen Van Tu", dt.date(1948, 5, 1))) == [GRANDFATHER]
    assert registry.search("Nguyen Van Tu", dt.date(1949, 5, 1)) == []


def test_search_limit(registry: AnyRegistry) -> None:
    assert len(registry.search("Phan Thi Thuy", limit=1)) == 1
    with pytest.raises(ConfigurationError) as info:
        registry.search("Phan Thi Thuy", limit=0)
    assert info.value.code == "bad_limit"


def test_search_without_match_is_empty(registry: AnyRegistry) -> None:
    assert registry.search("Nguyen Van") == []  # exact folded name, no prefix match


def test_household_head_first_then_by_id(registry: AnyRegistry) -> None:
    members = registry.household(CHILDREN[0])
    assert ids(members) == [HEAD, GRANDFATHER, SPOUSE, *CHILDREN]
    for member in members:
        assert member.household is not None
        assert member.household.household_id == "HK-A-0001"
        assert member.household.head_id_number == HEAD
    relationships = {c.id_number: c.household.relationship for c in members if c.household}
    assert relationships == {
        HEAD: "head", SPOUSE: "spouse", GRANDFATHER: "parent",
        CHILDREN[0]: "child", CHILDREN[1]: "child", CHILDREN[2]: "child",
    }


def test_citizen_without_household_is_alone(registry: AnyRegistry) -> None:
    assert ids(registry.household("074035001414")) == ["074035001414"]


def test_relatives_are_mutual(registry: AnyRegistry) -> None:
    head = registry.relatives(HEAD)
    assert isinstance(head.spouse, Citizen) and head.spouse.id_number == SPOUSE
    assert isinstance(head.father, Citizen) and head.father.id_number == GRANDFATHER
    assert head.mother == Relative("Lê Thị Sáu", None, "VNM")  # named, no ID number
    assert ids(head.children) == list(CHILDREN)
    spouse = registry.relatives(SPOUSE)
    assert isinstance(spouse.spouse, Citizen) and spouse.spouse.id_number == HEAD
    assert ids(spouse.children) == list(CHILDREN)
    assert ids(registry.relatives(GRANDFATHER).children) == [HEAD]
    for child in CHILDREN:
        family = registry.relatives(child)
        assert isinstance(family.father, Citizen) and family.father.id_number == HEAD
        assert isinstance(family.mother, Citizen) and family.mother.id_number == SPOUSE


def test_legal_representative_resolves(registry: AnyRegistry) -> None:
    grandson = registry.relatives("074210003232")
    assert isinstance(grandson.legal_representative, Citizen)
    assert grandson.legal_representative.id_number == "074160003131"
    assert isinstance(grandson.father, Relative)  # parents named without ID numbers


def test_foreign_spouse_stays_a_reference(registry: AnyRegistry) -> None:
    spouse = registry.relatives("079075002828").spouse
    assert isinstance(spouse, Relative)
    assert (spouse.id_number, spouse.nationality) == (None, "KOR")


def test_iteration_is_ordered_and_complete(
    registry: AnyRegistry, identities: list[dict[str, object]]
) -> None:
    numbers = ids(list(registry))
    assert numbers == sorted(str(r["id_number"]) for r in identities)
    assert len(registry) == len(identities)


def test_iteration_pages_through_a_large_registry(generated_registry: AnyRegistry) -> None:
    numbers = [c.id_number for c in generated_registry.iter_citizens()]
    assert len(numbers) == len(generated_registry) > 1000  # more than one page
    assert numbers == sorted(numbers)


def test_the_same_seed_generates_the_same_people_in_every_backend(
        generated: SqliteRegistry, generated_postgres: PostgresRegistry) -> None:
    assert list(generated_postgres) == list(generated)
