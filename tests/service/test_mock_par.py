"""The mock login service (real HTTP, the ``eid_mock_service`` fixture) serves PAR and
private_key_jwt too: it is the service's own app in test mode.

A tester authenticates the FAPI test client with ``eid token client-assertion``
(the command, run as a tester runs it) and pushes requests as any portal would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from eid.oidc.client_assertion import JWT_BEARER
from eid.testing import MockService
from tests.service.fapi import FAPI_ID, ROOT

HUNG = "074078000101"  # fixtures/README.md


def _post(url: str, form: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _cli_assertion(issuer: str) -> str:
    eid = str(Path(sys.executable).parent / "eid")
    out = subprocess.run(  # noqa: S603
        [eid, "token", "client-assertion", "--client-id", FAPI_ID, "--aud", issuer,
         "--key-file", str(ROOT / "fixtures" / "keys" / "test-signing-keys.json"),
         "--kid", "ec-p256-b"], capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip()


def test_cli_client_assertion_authenticates_at_the_mock(eid_mock_service: MockService) -> None:
    form = {"client_id": FAPI_ID, "client_assertion_type": JWT_BEARER,
            "client_assertion": _cli_assertion(eid_mock_service.issuer), "token": "x"}
    status, body = _post(eid_mock_service.issuer + "/introspect", form)
    assert (status, body) == (200, {"active": False})
    # Single use: the same assertion again is a replay.
    status, body = _post(eid_mock_service.issuer + "/introspect", form)
    assert (status, body["error"]) == (401, "invalid_client")


def test_mock_serves_par(eid_mock_service: MockService) -> None:
    rp = eid_mock_service.relying_party(use_par=True)
    url, pending = rp.start_login()
    assert "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A" in url
    result = rp.complete_login(
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            eid_mock_service.authorize(url, HUNG)).query)), pending)
    assert result.subject
