"""Consent-scoped prefill of e-forms from the National Population Database.

- :mod:`~eid.prefill.catalogue` – scopes → attributes → claims (``fixtures/scopes.json``);
- :mod:`~eid.prefill.attributes` – claim values from a registry record;
- :mod:`~eid.prefill.forms` – forms as data; :mod:`~eid.prefill.engine` compiles them
  and runs :func:`prefill` with provenance, from a record or from claims
  (:mod:`~eid.prefill.results`);
- :mod:`~eid.prefill.loader` – the catalogue and the forms, checked and compiled on load;
- :mod:`~eid.prefill.claims` – :func:`claims_for`, the shipped catalogue by default;
- :mod:`~eid.prefill.render` – JSON and HTML.

    catalogue = default_catalogue()
    forms, procedures = load_forms()
    result = prefill(forms["ct01"], citizen, ["openid", "profile", "id_number"],
                     registry=registry)          # provider side
    result = prefill(forms["ct01"], userinfo, granted_scopes)   # portal side: same result
    html = render_html(result, forms["ct01"], lang="vi")
"""

from __future__ import annotations

from eid.prefill.attributes import RecordView, address_claim, date_claim
from eid.prefill.catalogue import CLAIM_NAMESPACE, Attribute, Catalogue, Scope
from eid.prefill.claims import claims_by_name, claims_for
from eid.prefill.engine import compile_form, prefill, prefill_procedure
from eid.prefill.forms import Column, Field, Form, Procedure, Source, parse_source
from eid.prefill.loader import (
    default_catalogue,
    default_catalogue_path,
    default_forms_dir,
    load_catalogue,
    load_form,
    load_forms,
)
from eid.prefill.procedures import ProcedureInfo, load_procedure_catalogue
from eid.prefill.render import ACTION_FIELD, render_html, render_procedure_html, to_json
from eid.prefill.results import FieldValue, PrefillResult, ProcedureResult

__all__ = [
    "ACTION_FIELD",
    "CLAIM_NAMESPACE",
    "Attribute",
    "Catalogue",
    "Column",
    "Field",
    "FieldValue",
    "Form",
    "PrefillResult",
    "Procedure",
    "ProcedureInfo",
    "ProcedureResult",
    "RecordView",
    "Scope",
    "Source",
    "address_claim",
    "claims_by_name",
    "claims_for",
    "compile_form",
    "date_claim",
    "default_catalogue",
    "default_catalogue_path",
    "default_forms_dir",
    "load_catalogue",
    "load_form",
    "load_forms",
    "load_procedure_catalogue",
    "parse_source",
    "prefill",
    "prefill_procedure",
    "render_html",
    "render_procedure_html",
    "to_json",
]
