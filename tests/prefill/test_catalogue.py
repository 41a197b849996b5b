"""The scope catalogue: Vietnamese and standard scopes, claim names, consent labels."""

from __future__ import annotations

import pytest

from eid.errors import ConfigurationError
from eid.prefill import CLAIM_NAMESPACE, Catalogue

VIETNAMESE = ("openid", "profile", "id_number", "residence", "household", "family", "origin",
              "contact", "marital_status", "blood_type")  # fmt: skip
STANDARD_CLAIMS = {"name", "birthdate", "gender", "address", "phone_number", "email"}


@pytest.mark.parametrize("scope", (*VIETNAMESE, "email", "phone", "address"))
def test_every_scope_has_both_labels_and_descriptions(catalogue: Catalogue, scope: str) -> None:
    s = catalogue.scope(scope)
    assert s.label("vi") and s.label("en") and s.description("vi") and s.description("en")
    assert s.label("vi") != s.label("en")


def test_claims_are_standard_or_namespaced(catalogue: Catalogue) -> None:
    claims = [a.claim for a in catalogue.attributes.values()]
    assert len(claims) == len(set(claims))
    for claim in claims:
        assert claim in STANDARD_CLAIMS or claim.startswith(CLAIM_NAMESPACE), claim


def test_names_are_never_split(catalogue: Catalogue) -> None:
    claims = {a.claim for a in catalogue.attributes.values()}
    assert not claims & {"given_name", "family_name", "middle_name"}


@pytest.mark.parametrize(
    ("scope", "claims"),
    [
        ("profile", ("name", "birthdate", "gender")),
        ("email", ("email",)),
        ("phone", ("phone_number",)),
        ("address", ("address",)),
        ("contact", ("phone_number", "email")),
        ("openid", ()),
        ("residence", ("vn_permanent_residence", "vn_temporary_residence", "address")),
    ],
)
def test_standard_and_vietnamese_scopes_release_claims(
    catalogue: Catalogue, scope: str, claims: tuple[str, ...]
) -> None:
    assert catalogue.claim_names([scope]) == claims


def test_unknown_scopes_are_ignored(catalogue: Catalogue) -> None:
    # OIDC Core §3.1.2.1: unknown scope values are ignored, not an error.
    assert catalogue.claim_names(["openid", "nonsense", "email"]) == ("email",)


def test_releasers_prefer_the_vietnamese_scope(catalogue: Catalogue) -> None:
    assert catalogue.releasers("citizen.current_residence") == ("residence", "address")
    assert catalogue.releasers("citizen.email") == ("contact", "email")


def test_consent_items_in_english(catalogue: Catalogue) -> None:
    items = catalogue.consent_items(["openid", "household", "bogus"], lang="en")
    assert [i["scope"] for i in items] == ["openid", "household"]
    assert items[1]["label"] == "Household"
    assert items[1]["attributes"] == ["Household head", "Relationship to the household head",
                                      "Household members"]  # fmt: skip


def test_consent_items_default_to_vietnamese(catalogue: Catalogue) -> None:
    (item,) = catalogue.consent_items(["profile"])
    assert item["label"] == "Thông tin cơ bản"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.scope("nope"), "unknown_scope"),
        (lambda c: c.attribute("citizen.nope"), "unknown_attribute"),
        (lambda c: c.releasers("citizen.nope"), "unknown_attribute"),
    ],
)
def test_lookups_name_the_mistake(catalogue: Catalogue, call: object, code: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        call(catalogue)  # type: ignore[operator]
    assert info.value.code == code
