"""Prefill with provenance: same result from a record and from claims; nothing made up."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pytest
from freezegun import freeze_time

from eid.errors import ConfigurationError
from eid.population.sqlite import SqliteRegistry
from eid.prefill import Form, Procedure, claims_for, compile_form, prefill, prefill_procedure

from .conftest import ALL_SCOPES, BICH, HOA, HUNG, MAI, MINH, NOW, PEOPLE, TU

SCOPE_SETS = (
    ALL_SCOPES,
    ("openid", "profile"),
    ("openid", "profile", "email", "phone", "address"),  # a generic OIDC portal
    ("openid", "id_number", "household", "family"),
)
FORMS = ("ct01", "birth_registration", "tk1_ts")


@pytest.mark.parametrize("scopes", SCOPE_SETS)
@pytest.mark.parametrize("id_number", PEOPLE)
@pytest.mark.parametrize("form_id", FORMS)
def test_record_and_claims_give_the_same_result(
    registry: SqliteRegistry, forms: dict[str, Form], form_id: str, id_number: str,
    scopes: tuple[str, ...],
) -> None:  # fmt: skip
    citizen = registry.get(id_number)
    provider = prefill(forms[form_id], citizen, scopes, registry=registry, now=NOW)
    userinfo = claims_for(citizen, scopes, registry)
    portal = prefill(forms[form_id], userinfo, scopes, now=NOW)
    assert portal == provider
    assert portal.as_dict() == provider.as_dict()


@pytest.mark.parametrize("id_number", PEOPLE)
def test_procedure_from_record_and_claims(
    registry: SqliteRegistry, procedures: dict[str, Procedure], id_number: str
) -> None:
    chain = procedures["lien_thong_khai_sinh"]
    citizen = registry.get(id_number)
    provider = prefill_procedure(chain, citizen, chain.scopes, registry=registry, now=NOW)
    userinfo = claims_for(citizen, chain.scopes, registry)
    assert prefill_procedure(chain, userinfo, chain.scopes, now=NOW) == provider


def _values(result: Any) -> dict[str, Any]:
    return {f.id: f.value for f in result.fields}


def test_ct01_filled_and_locked(registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ALL_SCOPES, registry=registry, now=NOW)
    name = r.field("full_name")
    assert (name.value, name.source, name.status, name.verified, name.locked) == (
        "Nguyễn Văn Hùng", "population_db", "filled", True, True,
    )  # fmt: skip
    assert name.retrieved_at == NOW
    assert r.field("birth_date").value == "15/03/1978"
    assert r.field("sex").value == "Nam"
    assert r.field("id_number").value == HUNG
    assert r.field("relationship_to_head").value == "Chủ hộ"
    members = r.field("members")
    # CT01 item 11: the household's other members, for the declarant to choose from.
    assert len(members.value) == 5 and not members.locked
    assert members.value[1] == {
        "full_name": "Trần Thị Hoà", "birth_date": "02/11/1981", "sex": "Nữ",
        "id_number": HOA, "relationship": "Vợ/chồng",
    }  # fmt: skip
    assert HUNG not in [m["id_number"] for m in members.value]
    assert r.to_enter == ("receiving_office", "request")
    assert r.withheld == {}


def test_contact_is_prefilled_but_editable(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    phone = prefill(forms["ct01"], registry.get(HUNG), ["phone"], now=NOW).field("phone")
    assert phone.value and phone.source == "population_db" and not phone.locked


def test_withheld_fields_name_the_scopes(registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["openid", "profile"], now=NOW)
    assert r.withheld == {
        "id_number": ("id_number",), "phone": ("contact",), "email": ("contact",),
        "head_full_name": ("household",), "relationship_to_head": ("household",),
        "head_id_number": ("household",), "members": ("household",),
    }  # fmt: skip
    f = r.field("id_number")
    assert (f.value, f.source, f.status, f.locked, f.retrieved_at) == (
        None, "user", "withheld", False, None)
    assert "id_number" in r.to_enter


def test_standard_scope_releases_the_field(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    r = prefill(forms["tk1_ts"], registry.get(HUNG), ["openid", "address"], now=NOW)
    assert r.field("address").status == "filled"


@pytest.mark.parametrize(("id_number", "shown"), [(TU, "1948"), (BICH, "1960")])
def test_partial_birth_date_shows_what_is_known(
    registry: SqliteRegistry, forms: dict[str, Form], id_number: str, shown: str
) -> None:
    f = prefill(forms["ct01"], registry.get(id_number), ["profile"], now=NOW).field("birth_date")
    assert (f.value, f.status, f.reason, f.locked) == (shown, "partial", "partial_date", True)


def test_minimal_record_gives_marked_empty_fields(
    registry: SqliteRegistry, forms: dict[str, Form], procedures: dict[str, Procedure]
) -> None:
    r = prefill(forms["ct01"], registry.get(MAI), ALL_SCOPES, registry=registry, now=NOW)
    for fid in ("phone", "email", "head_full_name", "relationship_to_head", "members"):
        f = r.field(fid)
        assert (f.value, f.status, f.reason) == (None, "missing", "not_in_record"), fid
    birth = prefill(forms["birth_registration"], registry.get(MAI), ALL_SCOPES, now=NOW)
    eth = birth.field("mother_ethnicity")  # ethnicity 99: unknown, not the word "unknown"
    assert (eth.value, eth.status, eth.reason) == (None, "missing", "unknown_in_record")


def test_no_temporary_residence_is_missing_not_an_error(
    registry: SqliteRegistry, catalogue: Any
) -> None:
    from eid.prefill import parse_source
    from eid.prefill.forms import Field

    src = parse_source("citizen.temporary_residence", catalogue)
    field = Field("tmp", "Tạm trú", "Temporary", src, "address", required=False)
    form = compile_form(Form("t", "t", "t", "test", (field,)), catalogue)
    assert prefill(form, registry.get(MAI), ["residence"], now=NOW).field("tmp").status == "missing"
    minh = prefill(form, registry.get(MINH), ["residence"], now=NOW).field("tmp")
    assert minh.status == "filled" and "Phường Tân Định" in minh.value


def test_newborn_parents_follow_the_declarant_s_sex(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    form = forms["birth_registration"]
    as_mother = _values(prefill(form, registry.get(HOA), ALL_SCOPES, now=NOW))
    as_father = _values(prefill(form, registry.get(HUNG), ALL_SCOPES, now=NOW))
    assert as_mother["mother_full_name"] == as_father["mother_full_name"] == "Trần Thị Hoà"
    assert as_mother["father_full_name"] == as_father["father_full_name"] == "Nguyễn Văn Hùng"
    assert as_mother["mother_birth_year"] == "1981" and as_father["father_birth_year"] == "1978"
    # Without the registry only the spouse's reference: no birth date, never guessed.
    assert as_mother["father_birth_year"] is None and as_father["mother_birth_year"] is None
    assert as_father["father_residence"].endswith("Thành phố Hồ Chí Minh")


def test_newborn_parents_need_family_consent(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    r = prefill(forms["birth_registration"], registry.get(HOA), ["profile"], now=NOW)
    assert r.withheld["mother_full_name"] == ("family",)
    assert r.withheld["mother_ethnicity"] == ("family", "origin")


def test_portal_ignores_claims_outside_the_granted_scopes(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    userinfo = claims_for(registry.get(HUNG), ALL_SCOPES, registry)
    r = prefill(forms["ct01"], userinfo, ["openid", "profile"], now=NOW)
    assert r.field("id_number").status == "withheld"


@pytest.mark.parametrize(
    ("claims", "field", "reason"),
    [
        ({"birthdate": "15/03/1978"}, "birth_date", "invalid_claim"),
        ({"gender": "other"}, "sex", "invalid_claim"),
        ({"name": 42}, "full_name", "invalid_claim"),
        ({"name": ""}, "full_name", "empty_in_record"),
        ({"vn_household_members": "everyone"}, "members", "invalid_claim"),
        ({"vn_household_members": [1, 2]}, "members", "invalid_claim"),
        ({"vn_household_head": "Hùng"}, "head_full_name", "not_in_record"),
    ],
)
def test_strange_userinfo_never_raises(
    forms: dict[str, Form], claims: dict[str, Any], field: str, reason: str
) -> None:
    f = prefill(forms["ct01"], claims, ALL_SCOPES, now=NOW).field(field)
    assert (f.value, f.status, f.reason) == (None, "missing", reason)


def test_household_needs_a_registry_on_the_provider_side(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        prefill(forms["ct01"], registry.get(HUNG), ["household"], now=NOW)
    assert info.value.code == "registry_required"


def test_without_household_scope_no_registry_is_needed(
    registry: SqliteRegistry, forms: dict[str, Form]
) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile", "id_number"], now=NOW)
    assert r.field("id_number").status == "filled"


@freeze_time("2026-11-25 10:00:00")
def test_now_defaults_to_the_clock(registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile"])
    assert r.retrieved_at == _dt.datetime(2026, 11, 25, 10, tzinfo=_dt.UTC)


def test_procedure_prefills_three_forms_from_one_consent(
    registry: SqliteRegistry, procedures: dict[str, Procedure]
) -> None:
    chain = procedures["lien_thong_khai_sinh"]
    r = prefill_procedure(chain, registry.get(HOA), chain.scopes, registry=registry, now=NOW)
    birth, ct01, tk1 = r.forms
    assert birth.field("mother_full_name").value == "Trần Thị Hoà"
    assert ct01.field("full_name").status == "to_enter"  # the child's CT01
    assert ct01.field("head_full_name").value == "Nguyễn Văn Hùng"
    assert tk1.field("parent_full_name").value == "Trần Thị Hoà"
    assert all(not f.withheld for f in r.forms)
    assert r.as_dict()["procedure"] == "lien_thong_khai_sinh"


def test_a_form_built_in_code_is_compiled_before_prefill(
    registry: SqliteRegistry, catalogue: Any
) -> None:
    from eid.prefill import parse_source
    from eid.prefill.forms import Field

    field = Field("name", "Họ tên", "Name", parse_source("citizen.full_name", catalogue), "text",
                  required=True)
    with pytest.raises(ConfigurationError) as err:
        prefill(Form("t", "t", "t", "test", (field,)), registry.get(MAI), ["profile"], now=NOW)
    assert err.value.code == "form_not_compiled"
