"""The HTML fragment for assistive technology: notes and errors are tied to their inputs.

WCAG 2.2 §1.3.1 and §3.3.1: a screen reader focused on an input reads why it is empty
(the note) and, when the portal reports it, that it is in error and what the error says.
"""

from __future__ import annotations

import re

from eid.population.sqlite import SqliteRegistry
from eid.prefill import Form, prefill, render_html

from .conftest import HUNG, NOW


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_a_withheld_fields_note_describes_its_input(
        registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile"], now=NOW)
    html = render_html(r, forms["ct01"])
    # id_number is withheld without its scope: the note says which consent releases it.
    assert 'aria-describedby="eid-id_number-note"' in _input(html, "id_number")
    assert '<small class="eid-note" id="eid-id_number-note">' in html


def test_a_verified_field_has_no_description(
        registry: SqliteRegistry, forms: dict[str, Form]) -> None:
    r = prefill(forms["ct01"], registry.get(HUNG), ["profile"], now=NOW)
    full_name = _input(render_html(r, forms["ct01"]), "full_name")
    assert "aria-describedby" not in full_name and "aria-invalid" not in full_name


def test_a_field_in_error_is_invalid_and_described_by_the_error(forms: dict[str, Form]) -> None:
    form = forms["birth_registration"]
    r = prefill(form, {}, ["openid"], now=NOW)
    html = render_html(r, form, prefix="bd.", errors={"child_full_name": "missing"})
    child = _input(html, "bd.child_full_name")
    assert 'aria-invalid="true"' in child and 'aria-describedby="missing"' in child
    other = _input(html, "bd.child_hometown")
    assert "aria-invalid" not in other


def test_a_note_and_an_error_both_describe_the_input(forms: dict[str, Form]) -> None:
    form = forms["birth_registration"]
    r = prefill(form, {}, ["openid"], now=NOW)  # nothing consented: the declarant is withheld
    html = render_html(r, form, errors={"declarant_full_name": "missing"})
    assert 'aria-describedby="eid-declarant_full_name-note missing"' in \
        _input(html, "declarant_full_name")
