"""The portal's procedures, as data (``fixtures/portal-procedures.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eid.datafiles import fixture_path, read_json
from eid.errors import DataError
from eid.prefill import Form, Procedure, load_forms
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
    """Load the procedure list (default: the shipped ``portal-procedures.json``) and bind
    it to the form definitions.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: not JSON, an unknown form, level or malformed entry (naming the field).
    """
    path = path or fixture_path("portal-procedures.json")
    source = str(path)
    doc = read_json(path)
    try:
        entries = doc["procedures"]
    except (KeyError, TypeError) as exc:
        raise DataError(f"expected an object with a 'procedures' array: {exc}",
                        source=source) from exc
    forms, chained = load_forms()
    out: dict[str, PortalProcedure] = {}
    for i, raw in enumerate(entries):
        where = f"procedures[{i}]"
        try:
            pid, acr, scopes = raw["id"], raw["acr"], tuple(raw["scopes"])
            title, summary = dict(raw["title"]), dict(raw["summary"])
        except (KeyError, TypeError) as exc:
            raise DataError(f"missing {exc}", source=source, field=where) from exc
        if acr not in ACR_LEVELS:
            raise DataError(f"unknown level {acr!r}", source=source, field=f"{where}.acr")
        if "openid" not in scopes:
            raise DataError("scopes need openid", source=source, field=f"{where}.scopes")
        if "procedure" in raw:
            proc = chained.get(raw["procedure"])
            if proc is None:
                raise DataError("unknown procedure", source=source, field=f"{where}.procedure")
            out[pid] = PortalProcedure(pid, title, summary, acr, scopes, proc.forms, proc)
        else:
            form = forms.get(raw.get("form", ""))
            if form is None:
                raise DataError("unknown form", source=source, field=f"{where}.form")
            out[pid] = PortalProcedure(pid, title, summary, acr, scopes, (form,))
    return out
