"""Citizens never see an internal name: every scope and attribute of the catalogue has a
label in both languages, and a withheld field names its consent by that label."""

from __future__ import annotations

import pytest

from eid.prefill import Catalogue, Form, default_catalogue

_CATALOGUE = default_catalogue()


@pytest.mark.parametrize("scope", sorted(_CATALOGUE.scopes))
def test_every_scope_has_both_labels(scope: str) -> None:
    s = _CATALOGUE.scopes[scope]
    for text in (s.label_vi, s.label_en, s.description_vi, s.description_en):
        assert text.strip() and text != scope


@pytest.mark.parametrize("attribute", sorted(_CATALOGUE.attributes))
def test_every_attribute_has_both_labels(attribute: str) -> None:
    a = _CATALOGUE.attributes[attribute]
    for text in (a.label_vi, a.label_en):
        assert text.strip() and text not in (attribute, a.claim)


def test_every_form_knows_the_label_of_every_scope_that_releases_a_field(
        forms: dict[str, Form], catalogue: Catalogue) -> None:
    for form in forms.values():
        for field in form.fields:
            for group in field.source.requires:
                for scope in group:
                    assert form.scope_label(scope, "vi") == catalogue.scopes[scope].label_vi
                    assert form.scope_label(scope, "en") == catalogue.scopes[scope].label_en
