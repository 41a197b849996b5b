"""Claim values from a registry record: ``claims_for`` and its building blocks."""

from __future__ import annotations

import json

import pytest

from eid.errors import ConfigurationError
from eid.population.model import Address, PartialDate
from eid.population.sqlite import SqliteRegistry
from eid.prefill import address_claim, claims_by_name, claims_for, date_claim

from .conftest import ALL_SCOPES, BICH, HBIA, HOA, HUNG, MAI, MINH, NGUYET, PEOPLE, TU


@pytest.mark.parametrize("id_number", PEOPLE)
def test_claims_are_json_serialisable(registry: SqliteRegistry, id_number: str) -> None:
    claims = claims_for(registry.get(id_number), ALL_SCOPES, registry)
    assert json.loads(json.dumps(claims)) == claims


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (PartialDate(1990, 5, 1), "1990-05-01"),
        (PartialDate(1948), "1948"),
        # OIDC Core §5.1 has no year-month form: the month is dropped, never a day invented.
        (PartialDate(1960, 6), "1960"),
    ],
)
def test_birthdate_follows_oidc(value: PartialDate, expected: str) -> None:
    assert date_claim(value) == expected


@pytest.mark.parametrize(
    ("id_number", "birthdate"), [(TU, "1948"), (BICH, "1960"), (HUNG, "1978-03-15")]
)
def test_partial_birth_dates_in_claims(
    registry: SqliteRegistry, id_number: str, birthdate: str
) -> None:
    assert claims_for(registry.get(id_number), ["profile"])["birthdate"] == birthdate


def test_profile_claims(registry: SqliteRegistry) -> None:
    claims = claims_for(registry.get(HBIA), ["openid", "profile"])
    assert claims == {"name": "Ksor H'Bia", "birthdate": "2001-11-11", "gender": "female"}


def test_names_come_out_nfc(registry: SqliteRegistry) -> None:
    import unicodedata

    name = claims_for(registry.get(NGUYET), ["profile"])["name"]
    assert name == unicodedata.normalize("NFC", name) == "Võ Thị Ánh Nguyệt"


def test_address_is_the_oidc_object(registry: SqliteRegistry) -> None:
    address = claims_for(registry.get(HOA), ["address"])["address"]
    assert address == {
        "formatted": "15 Yersin, Phường Thủ Dầu Một, Thành phố Hồ Chí Minh",
        "street_address": "15 Yersin",
        "locality": "Phường Thủ Dầu Một",
        "region": "Thành phố Hồ Chí Minh",
        "country": "Việt Nam",
        "vn_commune_code": 25747,
        "vn_province_code": 79,
        "vn_country_code": "VNM",
    }


def test_address_without_units_keeps_only_what_is_known() -> None:
    assert address_claim(Address(detail="Seoul", country="KOR")) == {
        "formatted": "Seoul", "street_address": "Seoul", "country": "KOR", "vn_country_code": "KOR",
    }  # fmt: skip
    assert address_claim(Address()) is None
    # An unknown commune code is left out, not guessed.
    claim = address_claim(Address(province_code=79, commune_code=99999, detail="1 A"))
    assert claim is not None and "locality" not in claim and claim["region"]


def test_missing_values_are_left_out(registry: SqliteRegistry) -> None:
    claims = claims_for(registry.get(MAI), ALL_SCOPES, registry)
    assert "vn_temporary_residence" not in claims
    assert "vn_household_head" not in claims and "phone_number" not in claims
    assert claims["vn_ethnicity"] == "99"  # what the record says: unknown


def test_empty_is_not_absent(registry: SqliteRegistry) -> None:
    assert claims_for(registry.get(HOA), ["email"]) == {"email": ""}


def test_household_members_head_first(registry: SqliteRegistry) -> None:
    claims = claims_for(registry.get(HOA), ["household"], registry)
    members = claims["vn_household_members"]
    assert len(members) == 6
    assert members[0]["vn_relationship"] == "head" and members[0]["vn_id_number"] == HUNG
    assert claims["vn_household_head"] == {"name": "Nguyễn Văn Hùng", "vn_id_number": HUNG}
    assert claims["vn_household_relationship"] == "spouse"


def test_family_references_hold_the_law_s_three_facts(registry: SqliteRegistry) -> None:
    # Law on Citizen Identification art. 9: a relative's name, ID number, nationality.
    claims = claims_for(registry.get(MINH), ["family"], registry)
    assert claims["vn_spouse"] == {"name": "Kim Ji-young", "vn_nationality": "KOR"}


def test_household_members_need_a_registry(registry: SqliteRegistry) -> None:
    with pytest.raises(ConfigurationError) as info:
        claims_for(registry.get(HOA), ["household"])
    assert info.value.code == "registry_required"


def test_household_head_and_relationship_need_no_registry(registry: SqliteRegistry) -> None:
    from eid.prefill import RecordView
    from eid.prefill.attributes import extract_claims

    claims = extract_claims(
        RecordView(registry.get(HOA)),
        [("household.head", "vn_household_head"), ("household.relationship", "r")],
    )
    assert claims == {"vn_household_head": {"name": "Nguyễn Văn Hùng", "vn_id_number": HUNG},
                      "r": "spouse"}  # fmt: skip


# --- the release rule for ID numbers (issue 10 item 3) ------------------------------
def _numbers(claims: object) -> set[str]:
    import re

    return set(re.findall(r'"(\d{12})"', json.dumps(claims)))


@pytest.mark.parametrize("scopes", [["household"], ["family"], ["household", "family"],
                                    [s for s in ALL_SCOPES if s != "id_number"]])
def test_the_own_id_number_is_released_only_under_its_own_scope(
        registry: SqliteRegistry, scopes: list[str]) -> None:
    claims = claims_for(registry.get(HUNG), scopes, registry)  # head of his household
    assert HUNG not in _numbers(claims)
    assert _numbers(claims)  # relatives' numbers: the scopes' consent texts name them


def test_with_the_id_number_scope_the_own_number_is_everywhere(registry: SqliteRegistry) -> None:
    claims = claims_for(registry.get(HUNG), ["household", "id_number"], registry)
    assert claims["vn_household_head"]["vn_id_number"] == HUNG
    assert claims["vn_household_members"][0]["vn_id_number"] == HUNG


@pytest.mark.parametrize("names", [["vn_household_head"], ["vn_household_members"],
                                   ["vn_spouse", "vn_children", "vn_father"],
                                   ["vn_id_number", "vn_old_id_number", "name"]])
def test_claims_by_name_carry_no_id_number(registry: SqliteRegistry, names: list[str]) -> None:
    claims = claims_by_name(registry.get(HUNG), names, registry)
    assert claims  # something was released
    assert _numbers(claims) == set()
