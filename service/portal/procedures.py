"""The portal's procedures, as data (``fixtures/portal-procedures.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eid.errors import DataError
from eid.prefill import Form, Procedure, load_forms
from eid.prefill.procedures import default_procedures_path, load_procedure_catalogue
from eid.verify import ACR_LEVELS

__all__ = ["PortalProcedure", "load_procedures"]


@dataclass(frozen=True, slots=True)
class PortalProcedure:
    """One procedure the portal offers: the forms it fills and what it needs."""

    id: str
    title: dict[str, str]
    summary: dict[str, str]
    acr: str
    scopes: tuple[str, ...]
    forms: tuple[Form, ...]
    chained: Procedure | None = None

    def text(self, what: str, lang: str) -> str:
        labels = self.title if what == "title" else self.summary
        return labels.get(lang) or labels["vi"]


def load_procedures(path: Path | None = None) -> dict[str, PortalProcedure]:
    """Load the procedure list (default: the shipped ``portal-procedures.json``, read by
    :func:`eid.prefill.procedures.load_procedure_catalogue`) and bind it to the forms.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: not JSON, an unknown form, level or malformed entry (naming the field).
    """
    path = path or default_procedures_path()
    source = str(path)
    forms, chained = load_forms()
    out: dict[str, PortalProcedure] = {}
    for i, (pid, info) in enumerate(load_procedure_catalogue(path).items()):
        where = f"procedures[{i}]"
        if info.acr not in ACR_LEVELS:
            raise DataError(f"unknown level {info.acr!r}", source=source, field=f"{where}.acr")
        base = (pid, info.title, info.summary, info.acr, info.scopes)
        if info.chained is not None:
            proc = chained.get(info.chained)
            if proc is None:
                raise DataError("unknown procedure", source=source, field=f"{where}.procedure")
            out[pid] = PortalProcedure(*base, proc.forms, proc)
        else:
            form = forms.get(info.form or "")
            if form is None:
                raise DataError("unknown form", source=source, field=f"{where}.form")
            out[pid] = PortalProcedure(*base, (form,))
    return out
