"""What a dossier check finds: one report per field, and the dossier-level problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eid.credentials.dossier import Dossier, Value

__all__ = ["DossierReport", "FieldReport", "FieldStatus"]

FieldStatus = Literal["verified", "typed", "failed"]


@dataclass(frozen=True, slots=True)
class FieldReport:
    """One field of the dossier as the office sees it."""

    form: str
    field: str
    value: Value
    status: FieldStatus
    #: Why it failed (a :class:`~eid.errors.TokenFailure` value or a dossier code).
    code: str | None = None


@dataclass(frozen=True, slots=True)
class DossierReport:
    """The verdict on a dossier: one report per field, and the dossier-level problems."""

    dossier: Dossier
    fields: tuple[FieldReport, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Accepted: no problem and no failed field."""
        return not self.problems and all(f.status != "failed" for f in self.fields)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "filing": self.dossier.filing,
                "procedure": self.dossier.procedure, "portal": self.dossier.portal,
                "issuer": self.dossier.issuer, "problems": list(self.problems),
                "fields": [{"form": f.form, "field": f.field, "value": f.value,
                            "status": f.status, "code": f.code} for f in self.fields]}
