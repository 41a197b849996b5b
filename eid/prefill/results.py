"""What a prefill returns: each field's value with its provenance, per form and per procedure.

Plain data with ``as_dict`` for JSON; :mod:`eid.prefill.engine` builds it and
:mod:`eid.prefill.render` shows it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["FieldValue", "Origin", "PrefillResult", "ProcedureResult", "Status"]

Status = Literal["filled", "partial", "missing", "withheld", "to_enter"]
Origin = Literal["population_db", "user"]

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
