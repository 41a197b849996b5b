"""Prefill: a form's fields from consented data, each with its provenance.

``prefill(form, data, scopes)`` takes either a registry record (a
:class:`~eid.population.model.Citizen`, with the registry for household and
family; the provider side) or a userinfo claims dict (the portal side). The
provider first computes the claims the form needs under the granted scopes
(:mod:`eid.prefill.attributes`), so both sides read the same claim values
through the same resolvers and give the same result.

Each field ends in one status:

- ``filled`` – the record's value; ``partial`` – only what the record knows
  (a birth date known to the year is shown as the year, reason ``partial_date``:
  inventing a day would be a made-up value);
- ``missing`` – the scope was granted but the record holds nothing usable
  (reason ``not_in_record``, ``unknown_in_record`` for ethnicity 99 or marital
  status unknown, ``empty_in_record``, ``invalid_claim``);
- ``withheld`` – a scope it needs was not granted (``withheld_by`` names scopes
  that would release it);
- ``to_enter`` – the citizen enters it.

Source is ``population_db`` for a value from the record, else ``user``. A
verified value is locked (unless the form marks the field ``lock: false``);
phone and email come from the e-ID account and stay editable.

Forms are compiled once into resolver closures when they are loaded
(:func:`compile_form`), so a prefill is a loop of dictionary reads and small
formatters.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from eid.errors import ConfigurationError
from eid.population.model import Citizen
from eid.population.registry import Registry
from eid.prefill.attributes import RecordView, extract_claims
from eid.prefill.catalogue import Catalogue
from eid.prefill.formats import FORMATS, INVALID
from eid.prefill.forms import PERSON_PARTS, Field, Form, Plan, Procedure, Resolver
from eid.prefill.results import FieldValue, PrefillResult, ProcedureResult

__all__ = ["compile_form", "prefill", "prefill_procedure"]


def _table(field: Field) -> Callable[[Any], tuple[Any, str, str | None]]:
    # A text column shows the claim as it is: no formatter call per cell (the hot loop).
    cols = tuple(
        (c.id, PERSON_PARTS[c.part][0], None if c.format == "text" else FORMATS[c.format])
        for c in field.columns
    )

    def fmt(value: Any) -> tuple[Any, str, str | None]:
        # JSON objects are dicts; an ABC isinstance check per row would cost more than the row.
        if type(value) is not list:
            return INVALID
        rows = []
        for person in value:
            if type(person) is not dict:
                return INVALID
            row: dict[str, Any] = {}
            for cid, key, cell in cols:
                raw = person.get(key)
                if raw is None:
                    row[cid] = None
                elif cell is None:
                    row[cid] = raw if type(raw) is str and raw else None
                else:
                    row[cid] = cell(raw)[0]
            rows.append(row)
        return rows, "filled", None

    return fmt


# The citizen's own claims that tell their entry in a list of people (a chosen table).
_SELF = ("citizen.id_number", "citizen.full_name", "citizen.birth_date")


def _not_self(getter: Callable[[Mapping[str, Any]], Any], own: tuple[str, str, str]
              ) -> Callable[[Mapping[str, Any]], Any]:
    id_claim, name_claim, birth_claim = own
    id_key, name_key, birth_key = (PERSON_PARTS[p][0] for p in ("id_number", "full_name",
                                                                   "birth_date"))

    def candidates(claims: Mapping[str, Any]) -> Any:
        people = getter(claims)
        if type(people) is not list:
            return people
        number, name, born = claims.get(id_claim), claims.get(name_claim), claims.get(birth_claim)

        def is_self(person: Any) -> bool:
            if type(person) is not dict:
                return False
            if number and person.get(id_key):
                return bool(person.get(id_key) == number)
            return bool(name and born and person.get(name_key) == name
                        and person.get(birth_key) == born)

        return [p for p in people if not is_self(p)]

    return candidates


def _resolver(field: Field, own: tuple[str, str, str] | None = None) -> Resolver:
    fid, src = field.id, field.source
    if src.getter is None:
        user = FieldValue(fid, None, "user", "to_enter", None, False, False, None)
        return lambda claims, granted, now: user
    getter, requires, preferred = src.getter, src.requires, src.preferred
    if field.choose and own is not None:
        getter = _not_self(getter, own)  # the declarant is not among those they choose
    fmt = _table(field) if field.format == "table" else FORMATS[field.format]
    verified, lock = src.verified, src.verified and field.lock

    def resolve(
        claims: Mapping[str, Any], granted: frozenset[str], now: _dt.datetime
    ) -> FieldValue:
        for group in requires:
            if group.isdisjoint(granted):
                need = tuple(
                    dict.fromkeys(p for g, p in zip(requires, preferred, strict=True)
                                  if g.isdisjoint(granted))
                )  # fmt: skip
                return FieldValue(fid, None, "user", "withheld", "scope_not_granted",
                                  False, False, None, need)  # fmt: skip
        raw = getter(claims)
        if raw is None:
            return FieldValue(fid, None, "user", "missing", "not_in_record", False, False, now)
        value, status, reason = fmt(raw)
        if value is None:
            return FieldValue(fid, None, "user", "missing", reason, False, False, now)
        return FieldValue(fid, value, "population_db", status, reason,  # type: ignore[arg-type]
                          verified, lock, now)  # fmt: skip

    return resolve


def compile_form(form: Form, catalogue: Catalogue) -> Form:
    """``form`` compiled against ``catalogue``: a copy carrying its resolvers.

    The loader returns compiled forms; a form built in code goes through here once.
    """
    attrs: dict[str, tuple[str, str, frozenset[str]]] = {}
    chooses = any(f.choose for f in form.fields)
    own: tuple[str, str, str] | None = None
    if chooses and all(a in catalogue.attributes for a in _SELF):
        id_claim, name_claim, birth_claim = (catalogue.attributes[a].claim for a in _SELF)
        own = (id_claim, name_claim, birth_claim)
    for f in form.fields:
        for a in (*f.source.attributes, *(_SELF if f.choose and own else ())):
            attr = catalogue.attributes[a]
            attrs[a] = (a, attr.claim, frozenset(catalogue.releasers(a)))
    releasing = {s for _, _, scopes in attrs.values() for s in scopes}
    labels = {s: (catalogue.scopes[s].label_vi, catalogue.scopes[s].label_en)
              for s in sorted(releasing) if s in catalogue.scopes}
    return replace(form, plan=Plan(tuple(_resolver(f, own) for f in form.fields),
                                   tuple(attrs.values()), labels))


def _plan(form: Form) -> Plan:
    if form.plan is None:
        raise ConfigurationError(
            f"form {form.id!r} is not compiled: load it with load_form()/load_forms() "
            "or pass it through compile_form(form, catalogue)", code="form_not_compiled")
    return form.plan


def _claims(
    data: Citizen | Mapping[str, Any],
    plans: Iterable[Plan],
    granted: frozenset[str],
    registry: Registry | None,
) -> Mapping[str, Any]:
    if not isinstance(data, Citizen):
        return data
    pairs = {a: c for p in plans for a, c, g in p.attributes if not g.isdisjoint(granted)}
    return extract_claims(RecordView(data, registry), pairs.items())


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC) if now is None else now


def prefill(
    form: Form,
    data: Citizen | Mapping[str, Any],
    scopes: Iterable[str],
    *,
    registry: Registry | None = None,
    now: _dt.datetime | None = None,
) -> PrefillResult:
    """Prefill ``form`` from a registry record or a userinfo claims dict.

    :param data: a :class:`Citizen` (provider side; household members and
        children need ``registry``) or the userinfo claims (portal side).
    :param scopes: the granted scopes (unknown ones ignored, OIDC Core §3.1.2.1).
        On the portal side, claims outside them are not used.
    :param now: when the data was retrieved (default: now, UTC).
    :raises ConfigurationError: ``registry_required`` (provider side, household
        or family granted and needed, no registry).
    :raises NotFoundError: the registry cannot find the citizen's household or family.
    """
    plan = _plan(form)
    granted = frozenset(scopes)
    at = _now(now)
    claims = _claims(data, (plan,), granted, registry)
    return PrefillResult(form.id, at, tuple(r(claims, granted, at) for r in plan.resolvers))


def prefill_procedure(
    procedure: Procedure,
    data: Citizen | Mapping[str, Any],
    scopes: Iterable[str],
    *,
    registry: Registry | None = None,
    now: _dt.datetime | None = None,
) -> ProcedureResult:
    """Prefill every form of a chained procedure from one consent (Decree 63/2024/NĐ-CP).

    The record is read once for all the forms. Parameters as :func:`prefill`.

    :raises ConfigurationError: ``registry_required``.
    :raises NotFoundError: the registry cannot find the household or family.
    """
    plans = [(f.id, _plan(f)) for f in procedure.forms]
    granted = frozenset(scopes)
    at = _now(now)
    claims = _claims(data, (p for _, p in plans), granted, registry)
    return ProcedureResult(
        procedure.id,
        tuple(
            PrefillResult(form_id, at, tuple(r(claims, granted, at) for r in p.resolvers))
            for form_id, p in plans
        ),
    )
