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

import pytest

from eid.errors import ConfigurationError
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


def test_mock_par_fault_expired_request_uri(eid_mock_service: MockService) -> None:
    # A tester checks that the portal copes with a request_uri that has expired
    # (RFC 9126 §4): the mock hands out one that is already gone, once.
    eid_mock_service.inject_par_fault("expired_request_uri")
    assert eid_mock_service.state()["pending"]["par_fault"] == "expired_request_uri"
    rp = eid_mock_service.relying_party(use_par=True)
    url, _ = rp.start_login()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(
            url, headers={"X-Eid-Test-Identity": HUNG}), timeout=10)
    assert err.value.code == 400  # an error page, never a redirect (RFC 9126 §4)
    assert b'id="error-code">invalid_request_uri<' in err.value.read()
    assert eid_mock_service.state()["pending"]["par_fault"] is None
    url, pending = rp.start_login()  # used once: the next push is good
    result = rp.complete_login(
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            eid_mock_service.authorize(url, HUNG)).query)), pending)
    assert result.subject


def test_mock_refuses_an_unknown_par_fault(eid_mock_service: MockService) -> None:
    with pytest.raises(ConfigurationError) as err:
        eid_mock_service.inject_par_fault("late_request_uri")
    assert err.value.code == "mock_refused"
