"""The administrative procedures a portal may name (``fixtures/portal-procedures.json``).

One data file, read here only: the login service takes the codes and titles
(a client registers the codes it serves; the consent screen names the procedure:
RFC 9396 ``vn_procedure`` authorization details) and the demo portal binds each
entry to its forms (:mod:`service.portal.procedures`). An entry's ``id`` is the
procedure's code; its ``scopes`` are the most a request for it may ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eid.datafiles import fixture_path, read_json
from eid.errors import DataError

__all__ = ["ProcedureInfo", "default_procedures_path", "load_procedure_catalogue"]


@dataclass(frozen=True, slots=True)
class ProcedureInfo:
    """One procedure as listed: its code, texts in vi/en and what it needs.

    ``form`` names the single form it fills, or ``chained`` the chained procedure
    (``fixtures/forms``) it runs; exactly one of the two is set.
    """

    code: str
    title: dict[str, str]
    summary: dict[str, str]
    acr: str
    scopes: tuple[str, ...]
    form: str | None = None
    chained: str | None = None

    def text(self, what: str, lang: str) -> str:
        """The ``title`` or ``summary`` in ``lang`` (Vietnamese when missing)."""
        labels = self.title if what == "title" else self.summary
        return labels.get(lang) or labels["vi"]

    @property
    def attributes(self) -> frozenset[str]:
        """The attribute scopes a ``vn_procedure`` request for it may name (no ``openid``)."""
        return frozenset(self.scopes) - {"openid"}


def default_procedures_path() -> Path:
    """The shipped procedure list."""
    return fixture_path("portal-procedures.json")


def _texts(raw: Any, where: str, source: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("vi"), str) or not raw["vi"] \
            or not all(isinstance(v, str) for v in raw.values()):
        raise DataError("needs texts under 'vi' (and 'en')", source=source, field=where)
    return dict(raw)


def _entry(raw: Any, where: str, source: str) -> ProcedureInfo:
    if not isinstance(raw, dict):
        raise DataError("must be an object", source=source, field=where)
    code, acr, scopes = raw.get("id"), raw.get("acr"), raw.get("scopes")
    if not isinstance(code, str) or not code or len(code) > 64:
        raise DataError("id must be a short non-empty string", source=source,
                        field=f"{where}.id")
    if not isinstance(acr, str):
        raise DataError("acr must be a level name", source=source, field=f"{where}.acr")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) \
            or "openid" not in scopes:
        raise DataError("scopes must be a list of scopes with openid", source=source,
                        field=f"{where}.scopes")
    form, chained = raw.get("form"), raw.get("procedure")
    if (form is None) == (chained is None) or not isinstance(form or chained, str):
        raise DataError("needs either form or procedure", source=source, field=where)
    return ProcedureInfo(code, _texts(raw.get("title"), f"{where}.title", source),
                         _texts(raw.get("summary"), f"{where}.summary", source),
                         acr, tuple(scopes), form, chained)


def load_procedure_catalogue(path: str | Path | None = None) -> dict[str, ProcedureInfo]:
    """The procedures by code (default: the shipped list), in file order.

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: not JSON, a malformed or duplicate entry (naming the field).
    """
    path = path or default_procedures_path()
    source = str(path)
    doc = read_json(path)
    entries = doc.get("procedures") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise DataError("expected an object with a 'procedures' array", source=source)
    out: dict[str, ProcedureInfo] = {}
    for i, raw in enumerate(entries):
        entry = _entry(raw, f"procedures[{i}]", source)
        if entry.code in out:
            raise DataError("duplicate procedure id", source=source, field=entry.code)
        out[entry.code] = entry
    return out
