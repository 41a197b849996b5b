"""Selectively disclosable credentials (SD-JWT VC, RFC 9901): issuing and presenting;
their status (Token Status List, :mod:`eid.credentials.status`).

>>> from eid.credentials import issue_sd_jwt, present
>>> sd_jwt = issue_sd_jwt(claims, key=issuer_key, issuer=ISSUER, vct=VCT,
...                       holder_jwk=portal_key.public_jwk, iat=now, exp=now + 3600,
...                       plain={"client_id": "portal"})  # doctest: +SKIP
>>> presentation = present(sd_jwt, disclose=["name", "birthdate"], holder_key=portal_key,
...                        audience=OFFICE, nonce=nonce)  # doctest: +SKIP

Verification is :func:`eid.verify.verify_sd_jwt`.

Dossiers (a filing forwarded to a receiving office, checked offline field by field):
:func:`seal_dossier` on the portal's side, :func:`parse_dossier` and
:func:`verify_dossier` on the office's (``eid dossier verify FILE --issuer URL``).
"""

from __future__ import annotations

from eid.credentials.dossier import (
    DOSSIER_TYPE,
    MAX_DOSSIER_BYTES,
    Dossier,
    DossierField,
    dossier_nonce,
    parse_dossier,
)
from eid.credentials.dossier_seal import seal_dossier
from eid.credentials.dossier_verify import (
    DossierReport,
    FieldReport,
    FieldStatus,
    procedure_forms,
    verify_dossier,
)
from eid.credentials.issue import CITIZEN_DATA_VCT, RESERVED_CLAIMS, issue_sd_jwt
from eid.credentials.present import present
from eid.credentials.status import (
    STATUS_INVALID,
    STATUS_LIST_TYP,
    STATUS_VALID,
    StatusList,
    status_list_token,
    verify_status_list_token,
)

__all__ = [
    "CITIZEN_DATA_VCT",
    "DOSSIER_TYPE",
    "MAX_DOSSIER_BYTES",
    "RESERVED_CLAIMS",
    "STATUS_INVALID",
    "STATUS_LIST_TYP",
    "STATUS_VALID",
    "Dossier",
    "DossierField",
    "DossierReport",
    "FieldReport",
    "FieldStatus",
    "StatusList",
    "dossier_nonce",
    "issue_sd_jwt",
    "parse_dossier",
    "present",
    "procedure_forms",
    "seal_dossier",
    "status_list_token",
    "verify_dossier",
    "verify_status_list_token",
]
