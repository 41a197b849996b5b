"""Selectively disclosable credentials (SD-JWT VC, RFC 9901): issuing and presenting.

>>> from eid.credentials import issue_sd_jwt, present
>>> sd_jwt = issue_sd_jwt(claims, key=issuer_key, issuer=ISSUER, vct=VCT,
...                       holder_jwk=portal_key.public_jwk, iat=now, exp=now + 3600,
...                       plain={"client_id": "portal"})  # doctest: +SKIP
>>> presentation = present(sd_jwt, disclose=["name", "birthdate"], holder_key=portal_key,
...                        audience=OFFICE, nonce=nonce)  # doctest: +SKIP

Verification is :func:`eid.verify.verify_sd_jwt`.
"""

from __future__ import annotations

from eid.credentials.issue import CITIZEN_DATA_VCT, RESERVED_CLAIMS, issue_sd_jwt
from eid.credentials.present import present

__all__ = ["CITIZEN_DATA_VCT", "RESERVED_CLAIMS", "issue_sd_jwt", "present"]
