"""A sealed CT01 dossier made by an installed wheel, outside the checkout.

Started by tests/package/test_wheel.py with the venv's python: ``python seal_dossier.py
FOLDER``. Everything comes from the wheel's own data: the fixture registry, the forms
and scope catalogue, the test signing keys. Writes ``good.dossier.json`` (as the portal
seals it), ``edited.dossier.json`` (one registry value changed on the way) and
``issuer.jwks.json`` (the issuer's public keys, pinned by the office) into FOLDER.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from eid.credentials import CITIZEN_DATA_VCT, DossierField, issue_sd_jwt
from eid.credentials.dossier_seal import seal_dossier
from eid.datafiles import fixture_path
from eid.population.fixtures import load_fixture_registry
from eid.prefill import claims_for, default_catalogue, load_forms, prefill
from eid.signing import load_signing_keys, public_jwks

ISSUER, PORTAL, OFFICE = "https://login.eid.test", "cong-dvc-hcm", "https://office.eid.test"
HUNG = "074078000101"
SCOPES = ("openid", "profile", "id_number", "contact", "household")


def main() -> int:
    folder = Path(sys.argv[1])
    keys = load_signing_keys(fixture_path("keys", "test-signing-keys.json"))
    issuer, holder = keys["ec-p256"], keys["ec-p256-b"]
    registry = load_fixture_registry()
    claims = claims_for(registry.get(HUNG), SCOPES, registry)
    now = int(time.time())
    credential = issue_sd_jwt(claims, key=issuer, issuer=ISSUER, vct=CITIZEN_DATA_VCT,
                              holder_jwk=holder.public_jwk, iat=now, exp=now + 3600,
                              plain={"client_id": PORTAL})
    forms, _ = load_forms()
    fields: dict[str, DossierField] = {}
    for fv in prefill(forms["ct01"], claims, SCOPES).fields:
        if fv.source == "population_db" and fv.verified:
            value: Any = fv.value
            if isinstance(value, list):  # a table, as the form posts it back
                value = [{k: "" if v is None else str(v) for k, v in r.items()} for r in value]
            fields[fv.id] = DossierField(value, "registry")
        else:
            fields[fv.id] = DossierField("Đăng ký tạm trú" if fv.id == "request" else "",
                                         "citizen")
    dossier = seal_dossier(
        credential=credential, holder_key=holder, filing="HS-20261201-0A1B2C3D",
        procedure="ct01", submitted_at="2026-12-01T08:00:00Z", portal=PORTAL, issuer=ISSUER,
        audience=OFFICE, forms={"ct01": fields}, definitions={"ct01": forms["ct01"]},
        catalogue=default_catalogue(), iat=now)
    (folder / "good.dossier.json").write_bytes(dossier.to_bytes())
    edited = {**dossier.forms["ct01"], "full_name": DossierField("Nguyễn Văn Hưng", "registry")}
    (folder / "edited.dossier.json").write_bytes(
        replace(dossier, forms={"ct01": edited}).to_bytes())
    (folder / "issuer.jwks.json").write_text(json.dumps(public_jwks([issuer])))
    print("ok sealed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
