"""Verifying a dossier offline: a report per field (verified, typed, failed with a code).

The receiving office needs only the issuer's keys (its JWKS, or a pinned file) and the
form definitions, never the login service at verification time. First the whole
presentation is verified strictly (:func:`eid.verify.verify_sd_jwt` with the office as
``aud`` and :func:`~eid.credentials.dossier.dossier_nonce` as ``nonce``). When that
fails, the same checks run piece by piece so the report can say which fields the
failure touches:

- the issuer-signed JWT (signature, ``iss``, times, ``vct``) fails: every field fails;
- a Disclosure whose digest the issuer did not sign (edited, or swapped in from another
  credential): the fields drawing on that claim fail with ``unreferenced_disclosure``,
  the others stay verified;
- the KB-JWT is missing, not by the credential's holder, or addressed to another office:
  every field fails (the presentation is not the sending portal's to this office); its
  ``nonce`` differs: the typed fields fail (``nonce_mismatch``: they, the filing or the
  procedure were changed), the registry ones are still the registry's;
- the credential was issued to another portal than the one the dossier names
  (``portal_mismatch``): every registry field fails.

A registry field is verified when the prefill engine, run on the disclosed claims, gives
exactly the filed value, or for a table, when each filed row is one of the rows it gives
(the citizen keeps the household members concerned); ``value_mismatch`` otherwise. The
report's ``problems`` list the dossier-level failures; a dossier is accepted only with none
and no failed field.

Time: the credential is judged at the instant the sending portal presented it (the
KB-JWT's ``iat``, signed with the portal's key, and never later than the office's
clock), because a dossier is verified days after its filing, long after a short-lived
credential's ``exp``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eid.credentials.dossier import Dossier, Value, dossier_nonce, registry_claims
from eid.credentials.dossier_report import DossierReport, FieldReport, FieldStatus
from eid.credentials.issue import CITIZEN_DATA_VCT
from eid.errors import TokenError
from eid.prefill import Catalogue, Form, default_catalogue, load_forms, prefill
from eid.prefill.procedures import load_procedure_catalogue
from eid.verify import Jwks
from eid.verify._codec import json_object
from eid.verify.jws import parse_jws
from eid.verify.sd_jwt import (
    Disclosure,
    decode_disclosure,
    split_sd_jwt,
    verify_key_binding,
    verify_sd_jwt,
    verify_sd_jwt_signature,
)

__all__ = ["DossierReport", "FieldReport", "FieldStatus", "procedure_forms", "verify_dossier"]

_MAX_DEPTH: Final = 64


@dataclass(slots=True)
class _Findings:
    claims: dict[str, Any]
    problems: list[str]
    all_fail: str | None = None  # every field fails with this code
    typed_fail: str | None = None  # the typed fields fail with this code
    bad_names: frozenset[str] = frozenset()  # claims whose Disclosure the issuer did not sign


def _digests(value: Any, depth: int = 0) -> set[str]:
    """Every digest referenced in ``value`` (``_sd`` members, ``{"...": d}`` elements)."""
    if depth > _MAX_DEPTH:
        return set()
    found: set[str] = set()
    if isinstance(value, dict):
        sd = value.get("_sd")
        if isinstance(sd, list):
            found.update(d for d in sd if isinstance(d, str))
        dots = value.get("...")
        if len(value) == 1 and isinstance(dots, str):
            found.add(dots)
        for key, item in value.items():
            if key != "_sd":
                found |= _digests(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            found |= _digests(item, depth + 1)
    return found


def _signed(payload: Mapping[str, Any], disclosures: list[Disclosure]) -> list[Disclosure]:
    """The Disclosures reachable from the issuer-signed payload, in presented order."""
    known = _digests(payload)
    good: dict[str, Disclosure] = {}
    changed = True
    while changed:
        changed = False
        for d in disclosures:
            if d.digest in known and d.digest not in good:
                good[d.digest] = d
                known |= _digests(d.value)
                changed = True
    return [d for d in disclosures if d.digest in good]


def _judging_time(kb_jwt: str | None, now: float, leeway: float) -> float:
    """The KB-JWT's ``iat`` (not yet verified: the checks that follow verify it), or ``now``
    when it has none, or one in the future (which the KB-JWT's own check then refuses)."""
    if kb_jwt is None:
        return now
    try:
        iat = json_object(parse_jws(kb_jwt).payload, "KB-JWT payload").get("iat")
    except TokenError:
        return now
    if isinstance(iat, bool) or not isinstance(iat, int | float) or iat > now + leeway:
        return now
    return float(iat)


def _diagnose(presentation: str, first: TokenError, *, issuer: str, jwks: Jwks,
              audience: str, nonce: str, at: float, leeway: float) -> _Findings:
    found = _Findings({}, [first.code])
    try:
        parts = split_sd_jwt(presentation)
        _, payload = verify_sd_jwt_signature(parts.jwt, jwks=jwks)
    except TokenError as exc:
        found.all_fail = exc.code
        return found
    decoded: list[Disclosure] = []
    for encoded in parts.disclosures:
        try:
            decoded.append(decode_disclosure(encoded))
        except TokenError as exc:
            found.problems.append(exc.code)  # no name to pin it on: a dossier-level problem
    good = _signed(payload, decoded)
    found.bad_names = frozenset(d.name for d in decoded if d not in good and d.name)
    if len(good) != len(decoded):
        found.problems.append("unreferenced_disclosure")
    # iss, times, vct and the disclosure rules over the signed Disclosures alone.
    signed_only = "~".join([parts.jwt, *(d.encoded for d in good)]) + "~"
    try:
        found.claims = verify_sd_jwt(signed_only, issuer=issuer, jwks=jwks, now=at,
                                     leeway=leeway, vct=CITIZEN_DATA_VCT)
    except TokenError as exc:
        found.all_fail = exc.code
        return found
    if parts.kb_jwt is None:
        found.all_fail = "kb_jwt_missing"
        return found
    def key_binding(expected_nonce: str | None) -> None:
        verify_key_binding(parts.kb_jwt or "", sd_jwt=presentation, holder=found.claims,
                           audience=audience, nonce=expected_nonce, max_age=None,
                           leeway=leeway, now=at)

    try:
        key_binding(nonce)
    except TokenError as exc:
        if exc.code == "nonce_mismatch":
            found.typed_fail = exc.code
            try:  # the nonce is checked before sd_hash: check that one too
                key_binding(None)
            except TokenError as again:
                if again.code != "sd_hash_mismatch":
                    found.all_fail = again.code
        elif exc.code != "sd_hash_mismatch":  # explained by the Disclosures found above
            found.all_fail = exc.code
    return found


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return [{k: "" if v is None else str(v) for k, v in row.items()}
                if isinstance(row, dict) else row for row in value]
    return "" if value is None else str(value)


def _chosen_rows(want: Any, got: Any) -> bool:
    """Whether a table's rows are some of the registry's rows, each once (the citizen
    keeps those concerned; the choice itself is bound by the nonce)."""
    if not isinstance(want, list) or not isinstance(got, list) or not got:
        return False
    keys = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in got]
    pool = {json.dumps(r, sort_keys=True, ensure_ascii=False) for r in want}
    return len(set(keys)) == len(keys) and set(keys) <= pool


def _registry_field(form: Form | None, field_id: str, value: Value, found: _Findings, *,
                    catalogue: Catalogue, expected: Mapping[str, Any]
                    ) -> tuple[FieldStatus, str | None]:
    if found.all_fail:
        return "failed", found.all_fail
    if form is None:
        return "failed", "unknown_form"
    if field_id not in expected:
        return "failed", "unknown_field"
    needed = registry_claims(form, [field_id], catalogue)
    if not needed:
        return "failed", "not_a_registry_field"  # the form has the citizen type it
    if needed & found.bad_names:
        return "failed", "unreferenced_disclosure"
    want, got = _norm(expected[field_id]), _norm(value)
    if want == got or _chosen_rows(want, got):
        return "verified", None
    if not needed & set(found.claims):
        return "failed", "claim_not_disclosed"
    return "failed", "value_mismatch"


def procedure_forms(procedure: str, catalogue: Catalogue | None = None) -> dict[str, Form]:
    """The forms a procedure of the shipped procedure list fills, by form id (a chained
    procedure's own copies: there a form may have the citizen type fields it prefills
    elsewhere); ``{}`` for an unknown procedure."""
    info = load_procedure_catalogue().get(procedure)
    forms, chained = load_forms(catalogue=catalogue)
    if info is None:
        return {}
    if info.chained is not None:
        chain = chained.get(info.chained)
        return {f.id: f for f in chain.forms} if chain else {}
    form = forms.get(info.form or "")
    return {form.id: form} if form else {}


def verify_dossier(dossier: Dossier, *, issuer: str, jwks: Jwks, audience: str,
                   forms: Mapping[str, Form] | None = None, catalogue: Catalogue | None = None,
                   now: float | None = None, leeway: float = 60) -> DossierReport:
    """The report on ``dossier`` (the module docstring says what each outcome means).

    :param issuer: the credential issuer the office trusts (its exact identifier).
    :param jwks: that issuer's keys (a JWKS dict, a :class:`~eid.verify.KeySet` or a key
        source such as :class:`~eid.verify.RemoteKeySource`).
    :param audience: the office's own identifier (the KB-JWT's ``aud``).
    :param forms: form id → definition (compiled), to recompute the registry values;
        default: :func:`procedure_forms` of the dossier's procedure.
    :param catalogue: the scope catalogue; default: the shipped one.
    :raises KeySourceError: the key set is malformed or cannot be fetched.
    :raises ConfigurationError: an argument is invalid.
    """
    catalogue = default_catalogue() if catalogue is None else catalogue
    if forms is None:
        forms = procedure_forms(dossier.procedure, catalogue)
    clock = time.time() if now is None else now
    nonce = dossier_nonce(dossier)
    try:
        kb_jwt = split_sd_jwt(dossier.presentation).kb_jwt
    except TokenError:
        kb_jwt = None
    at = _judging_time(kb_jwt, clock, leeway)
    try:
        claims = verify_sd_jwt(dossier.presentation, issuer=issuer, jwks=jwks,
                               audience=audience, nonce=nonce, now=at, leeway=leeway,
                               vct=CITIZEN_DATA_VCT)
        found = _Findings(claims, [])
    except TokenError as exc:
        found = _diagnose(dossier.presentation, exc, issuer=issuer, jwks=jwks,
                          audience=audience, nonce=nonce, at=at, leeway=leeway)
    if dossier.issuer != issuer:
        found.problems.append("issuer_mismatch")
    if not found.all_fail and found.claims.get("client_id") != dossier.portal:
        found.problems.append("portal_mismatch")
        found.all_fail = "portal_mismatch"
    scopes = [s.id for s in catalogue.scopes.values()]
    reports: list[FieldReport] = []
    for form_id, fields in dossier.forms.items():
        form = forms.get(form_id)
        expected: dict[str, Any] = {}
        if form is not None:
            # A value the claims do not give (source "user") is expected as nothing.
            expected = {fv.id: fv.value if fv.source == "population_db" else None
                        for fv in prefill(form, found.claims, scopes).fields}
        for field_id, entry in fields.items():
            if entry.source == "citizen":
                fail = found.all_fail or found.typed_fail
                status: FieldStatus = "failed" if fail else "typed"
                reports.append(FieldReport(form_id, field_id, entry.value, status, fail))
                continue
            status, code = _registry_field(form, field_id, entry.value, found,
                                           catalogue=catalogue, expected=expected)
            reports.append(FieldReport(form_id, field_id, entry.value, status, code))
    return DossierReport(dossier, tuple(reports), tuple(dict.fromkeys(found.problems)))
