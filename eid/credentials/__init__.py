"""SD-JWT VC issuance and presentation for dossiers; the Token Status List."""

from __future__ import annotations

from eid.credentials.status import (
    STATUS_INVALID,
    STATUS_LIST_TYP,
    STATUS_VALID,
    StatusList,
    status_list_token,
    verify_status_list_token,
)

__all__ = [
    "STATUS_INVALID",
    "STATUS_LIST_TYP",
    "STATUS_VALID",
    "StatusList",
    "status_list_token",
    "verify_status_list_token",
]
