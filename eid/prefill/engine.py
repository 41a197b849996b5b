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

Forms are compiled once into resolver closures (on load, or on first use), so
a prefill is a loop of dictionary reads and small formatters.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from eid.population.model import Citizen
from eid.population.registry import Registry
from eid.prefill.attributes import RecordView, extract_claims
from eid.prefill.catalogue import Catalogue
from eid.prefill.formats import FORMATS, INVALID
from eid.prefill.forms import PERSON_PARTS, Field, Form, Procedure

__all__ = [
    "FieldValue",
    "PrefillResult",
    "ProcedureResult",
    "compile_form",
    "prefill",
    "prefill_procedure",
]

Status = Literal["filled", "partial", "missing", "withheld", "to_enter"]
Origin = Literal["population_db", "user"]
_Resolver = Callable[[Mapping[str, Any], frozenset[str], _dt.datetime], "FieldValue"]


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One field's prefilled value and where it came from."""

    id: str
    #: Display text; rows (column id → text) for a table; ``None`` when empty.
    value: Any
    source: Origin
    status: Status
    reason: str | None
    verified: bool
    locked: bool
    retrieved_at: _dt.datetime | None
    withheld_by: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``retrieved_at`` as ISO 8601)."""
        at = self.retrieved_at
        return {
            "id": self.id,
            "value": self.value,
            "source": self.source,
            "status": self.status,
            "reason": self.reason,
            "verified": self.verified,
            "locked": self.locked,
            "retrieved_at": None if at is None else at.isoformat(),
            "withheld_by": list(self.withheld_by),
        }


@dataclass(frozen=True, slots=True)
class PrefillResult:
    """A prefilled form: every field in form order."""

    form_id: str
    retrieved_at: _dt.datetime
    fields: tuple[FieldValue, ...]

    def field(self, field_id: str) -> FieldValue:
        """The field with this id.

        :raises KeyError: no such field.
        """
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def to_enter(self) -> tuple[str, ...]:
        """Fields without a value, which the citizen still enters (user, missing, withheld)."""
        return tuple(f.id for f in self.fields if f.value is None)

    @property
    def withheld(self) -> dict[str, tuple[str, ...]]:
        """Withheld field id → scopes that would release it."""
        return {f.id: f.withheld_by for f in self.fields if f.status == "withheld"}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of the result, for APIs."""
        return {
            "form": self.form_id,
            "retrieved_at": self.retrieved_at.isoformat(),
            "fields": [f.as_dict() for f in self.fields],
            "to_enter": list(self.to_enter),
            "withheld": [{"field": k, "scopes": list(v)} for k, v in self.withheld.items()],
        }


@dataclass(frozen=True, slots=True)
class ProcedureResult:
    """A chained procedure prefilled from one consent: one result per form."""

    procedure_id: str
    forms: tuple[PrefillResult, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of the result, for APIs."""
        return {"procedure": self.procedure_id, "forms": [f.as_dict() for f in self.forms]}


@dataclass(frozen=True, slots=True)
class _Plan:
    form_id: str
    resolvers: tuple[_Resolver, ...]
    #: (attribute path, claim, scopes releasing it) the provider computes.
    attributes: tuple[tuple[str, str, frozenset[str]], ...]


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


def _resolver(field: Field) -> _Resolver:
    fid, src = field.id, field.source
    if src.getter is None:
        user = FieldValue(fid, None, "user", "to_enter", None, False, False, None)
        return lambda claims, granted, now: user
    getter, requires, preferred = src.getter, src.requires, src.preferred
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


def compile_form(form: Form, catalogue: Catalogue) -> None:
    """Compile ``form`` into resolvers once (the loader does it; idempotent)."""
    if form.plan is not None:
        return
    attrs: dict[str, tuple[str, str, frozenset[str]]] = {}
    for f in form.fields:
        for a in f.source.attributes:
            attr = catalogue.attributes[a]
            attrs[a] = (a, attr.claim, frozenset(catalogue.releasers(a)))
    plan = _Plan(form.id, tuple(_resolver(f) for f in form.fields), tuple(attrs.values()))
    object.__setattr__(form, "plan", plan)


def _plan(form: Form) -> _Plan:
    plan = form.plan
    if not isinstance(plan, _Plan):
        from eid.prefill.loader import default_catalogue

        compile_form(form, default_catalogue())
        plan = form.plan
        assert isinstance(plan, _Plan)  # noqa: S101 - compile_form just set it
    return plan


def _claims(
    data: Citizen | Mapping[str, Any],
    plans: Iterable[_Plan],
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
    return PrefillResult(plan.form_id, at, tuple(r(claims, granted, at) for r in plan.resolvers))


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
    plans = [_plan(f) for f in procedure.forms]
    granted = frozenset(scopes)
    at = _now(now)
    claims = _claims(data, plans, granted, registry)
    return ProcedureResult(
        procedure.id,
        tuple(
            PrefillResult(p.form_id, at, tuple(r(claims, granted, at) for r in p.resolvers))
            for p in plans
        ),
    )
