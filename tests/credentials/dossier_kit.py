"""A citizen's credential and a sealed CT01 dossier, as the portal makes them.

The credential holds the fixture citizen's real claims for the CT01 scopes, issued with
the library's own ``issue_sd_jwt`` (the login service's code path) to a portal's holder
key; the filed values are what the portal's prefill gives, plus the typed fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eid.credentials import CITIZEN_DATA_VCT, issue_sd_jwt
from eid.credentials.dossier import Dossier, DossierField
from eid.credentials.dossier_seal import seal_dossier
from eid.population.fixtures import load_fixture_registry
from eid.prefill import claims_for, default_catalogue, load_forms, prefill
from eid.signing import SigningKey

ISSUER = "https://login.eid.test"
PORTAL = "cong-dvc-hcm"
OFFICE = "https://tiepnhan.binhduong.gov.vn"
NOW = 1_764_000_000
HEAD = "074078000101"  # Nguyễn Văn Hùng, household A head
OTHER = "074181000202"  # his wife, same household (swapped disclosures)
SCOPES = ("openid", "profile", "id_number", "contact", "household")
TYPED = {"receiving_office": "Công an phường Thủ Dầu Một", "request": "Đăng ký tạm trú",
         "phone": "0912345678"}


@dataclass(frozen=True)
class Keys:
    issuer: SigningKey
    holder: SigningKey
    other_holder: SigningKey
    stranger: SigningKey


def credential(keys: Keys, id_number: str = HEAD, *, holder: SigningKey | None = None,
               portal: str = PORTAL, iat: int = NOW, exp: int = NOW + 3600,
               issuer_key: SigningKey | None = None) -> str:
    registry = load_fixture_registry()
    claims = claims_for(registry.get(id_number), SCOPES, registry)
    return issue_sd_jwt(claims, key=issuer_key or keys.issuer, issuer=ISSUER,
                        vct=CITIZEN_DATA_VCT, holder_jwk=(holder or keys.holder).public_jwk,
                        iat=iat, exp=exp, plain={"client_id": portal})


def filed(id_number: str = HEAD) -> dict[str, DossierField]:
    """The CT01 fields as filed: registry values where prefilled and verified."""
    registry = load_fixture_registry()
    forms, _ = load_forms()
    claims = claims_for(registry.get(id_number), SCOPES, registry)
    out: dict[str, DossierField] = {}
    for fv in prefill(forms["ct01"], claims, SCOPES).fields:
        if fv.source == "population_db" and fv.verified:
            value: Any = fv.value
            if isinstance(value, list):  # as the portal's form posts a table back
                value = [{k: "" if v is None else str(v) for k, v in r.items()} for r in value]
            out[fv.id] = DossierField(value, "registry")
        else:
            out[fv.id] = DossierField(TYPED.get(fv.id, ""), "citizen")
    return out


def seal(keys: Keys, sd_jwt: str | None = None, *, holder: SigningKey | None = None,
         portal: str = PORTAL, audience: str = OFFICE, iat: int = NOW + 60,
         filing: str = "HS-20251124-0A1B2C3D",
         fields: dict[str, DossierField] | None = None) -> Dossier:
    forms, _ = load_forms()
    return seal_dossier(
        credential=sd_jwt or credential(keys), holder_key=holder or keys.holder,
        filing=filing, procedure="ct01", submitted_at="2025-11-24T16:01:00Z", portal=portal,
        issuer=ISSUER, audience=audience, forms={"ct01": fields or filed()},
        definitions={"ct01": forms["ct01"]}, catalogue=default_catalogue(), iat=iat)
