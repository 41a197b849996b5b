"""The RFC 9901 and SD-JWT VC examples in ``../shared/vectors/sd-jwt/``, read in place.

The cases are listed at collection time from the two index files, so a case added to
an index runs without a change here. Without the shared folder the list is empty and
the tests that need it skip (or fail under ``CI``, like the ``shared_dir`` fixture).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_DEFAULT = Path(__file__).resolve().parents[3] / "shared"
ROOT = Path(os.environ.get("EID_SHARED_DIR") or _DEFAULT) / "vectors" / "sd-jwt"
INDEXES = ("rfc9901", "sd-jwt-vc-18")


def require_vectors() -> Path:
    """The vectors folder, or skip (fail under CI) when it is absent."""
    if not (ROOT / "rfc9901" / "index.json").is_file():
        message = f"SD-JWT vectors not found at {ROOT}; set EID_SHARED_DIR"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return ROOT


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_token(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Case:
    """One issued or presented SD-JWT of an index."""

    index: str
    example: str
    kind: str  # "issuance" or "presentation"
    entry: dict[str, Any]
    spec: dict[str, Any]  # the example's whole index entry
    top: dict[str, Any]   # the index file itself

    @property
    def id(self) -> str:
        return f"{self.index}/{self.example}/{self.kind}"

    def path(self, relative: str) -> Path:
        return ROOT / self.index / relative

    @property
    def compact(self) -> bool:
        return not str(self.entry["file"]).endswith(".json")


def cases() -> list[Case]:
    """Every issuance and presentation of both indexes (empty without the folder)."""
    found: list[Case] = []
    for index in INDEXES:
        path = ROOT / index / "index.json"
        if not path.is_file():
            return []
        top = load_json(path)
        for name, spec in top["examples"].items():
            if "issuance" in spec:
                found.append(Case(index, name, "issuance", spec["issuance"], spec, top))
            for i, entry in enumerate(spec.get("presentations", [])):
                kind = "presentation" if i == 0 else f"presentation{i + 1}"
                found.append(Case(index, name, kind, entry, spec, top))
    return found


def issuer_jwks(case: Case) -> dict[str, Any]:
    """The issuer key of a case as a trusted key set; with the ``kid`` the example's
    header names, as a verifier's configuration would have it."""
    jwk = dict(load_json(case.path(case.top["issuer_public_jwk"])))
    if "kid" in case.spec:
        jwk["kid"] = case.spec["kid"]
    return {"keys": [jwk]}
