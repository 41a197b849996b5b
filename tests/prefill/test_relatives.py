"""Prefill is right about relatives, for every form and every fixture family.

A field whose source is a related person (the father, mother, spouse or child; the
newborn's parents, who are the declarant and their spouse) is filled when the
registry holds the value for that person and the consented scopes cover it; when a
scope is missing the field names exactly which consent would release it. The
expected value is read from the related person's own record here, independently of
the extractors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eid.population.model import Citizen, Relative
from eid.population.sqlite import SqliteRegistry
from eid.prefill import Form, claims_for, prefill, render_html
from eid.prefill.attributes import address_claim, date_claim
from eid.prefill.formats import FORMATS
from tests.prefill.conftest import ALL_SCOPES, HOA, NOW

# A part of a person → what it is in the person's own record (in the claim's shape).
_RECORD: dict[str, Callable[[Citizen], Any]] = {
    "full_name": lambda c: c.full_name,
    "birth_date": lambda c: date_claim(c.birth_date),
    "id_number": lambda c: c.id_number,
    "nationality": lambda c: c.nationality,
    "ethnicity": lambda c: c.ethnicity,
    "residence": lambda c: None if c.permanent_residence is None
    else address_claim(c.permanent_residence),
}


def _relative_fields(forms: dict[str, Form]) -> list[tuple[str, str]]:
    return [(f.id, fl.id) for f in forms.values() for fl in f.fields
            if fl.source.path.startswith("newborn.")]


def _person(registry: SqliteRegistry, declarant: Citizen, parent: str) -> Citizen | Relative | None:
    """The newborn's ``parent``: the declarant on the side of their sex, else the spouse
    (the full record when the registry holds it)."""
    if declarant.sex == ("female" if parent == "mother" else "male"):
        return declarant
    return registry.relatives(declarant.id_number).spouse


def _citizens(registry: SqliteRegistry) -> list[str]:
    return sorted(c.id_number for c in registry)


def test_the_fixtures_have_relatives_to_test() -> None:
    from eid.population.fixtures import load_fixture_registry
    from eid.prefill import load_forms

    forms, _ = load_forms()
    assert _relative_fields(forms)  # the birth registration's parents
    assert any(load_fixture_registry().relatives(c.id_number).spouse
               for c in load_fixture_registry())


@pytest.fixture(scope="module")
def every_pair(registry: SqliteRegistry, forms: dict[str, Form]) -> list[tuple[str, str, str]]:
    return [(cid, form_id, field_id) for cid in _citizens(registry)
            for form_id, field_id in _relative_fields(forms)]


def _expected(registry: SqliteRegistry, forms: dict[str, Form], cid: str, form_id: str,
              field_id: str) -> Any:
    field = next(f for f in forms[form_id].fields if f.id == field_id)
    _, parent, part = field.source.path.split(".")
    person = _person(registry, registry.get(cid), parent)
    if not isinstance(person, Citizen):
        # A reference (or nobody): only what the law records for a relative.
        value = getattr(person, {"full_name": "full_name", "id_number": "id_number",
                                 "nationality": "nationality"}.get(part, "_none"), None) \
            if person is not None else None
    else:
        value = _RECORD[part](person)
    return None if value is None else FORMATS[field.format](value)[0]


@pytest.mark.parametrize("side", ["provider", "portal"])
def test_every_relative_field_the_registry_holds_is_filled(
        registry: SqliteRegistry, forms: dict[str, Form],
        every_pair: list[tuple[str, str, str]], side: str) -> None:
    wrong = []
    for cid, form_id, field_id in every_pair:
        citizen = registry.get(cid)
        data: Any = citizen if side == "provider" else claims_for(citizen, ALL_SCOPES, registry)
        result = prefill(forms[form_id], data, ALL_SCOPES, registry=registry, now=NOW)
        got = result.field(field_id)
        expected = _expected(registry, forms, cid, form_id, field_id)
        if got.value != expected or (expected is None) != (got.status == "missing"):
            wrong.append((cid, form_id, field_id, got.value, got.status, expected))
    assert not wrong, wrong


def test_the_birth_registration_of_a_mother_shows_the_father(
        registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    # The case of issue 16: the father is Hoà's husband, whose record the registry holds.
    r = prefill(forms["birth_registration"], registry.get(HOA), ALL_SCOPES, registry=registry,
                now=NOW)
    assert r.field("father_birth_year").value == "1978"
    assert r.field("father_residence").value.endswith("Thành phố Hồ Chí Minh")
    assert r.field("father_ethnicity").status == "filled"
    html = render_html(r, forms["birth_registration"])
    assert "Cơ sở dữ liệu không có thông tin này" not in html


@pytest.mark.parametrize("form_field", ["father_birth_year", "father_residence",
                                        "mother_full_name", "father_ethnicity"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_without_the_consent_the_form_names_it_by_its_label(
        registry: SqliteRegistry, forms: dict[str, Form], form_field: str, lang: str) -> None:
    form = forms["birth_registration"]
    r = prefill(form, registry.get(HOA), ["openid", "profile"], registry=registry, now=NOW)
    field = r.field(form_field)
    assert field.status == "withheld" and "family" in field.withheld_by
    html = render_html(r, form, lang=lang)
    family = "Quan hệ gia đình" if lang == "vi" else "Family"
    assert family in html
    for scope in field.withheld_by:  # the label, never the internal name
        assert f"“{form.scope_label(scope, lang)}”" in html and f"“{scope}”" not in html
