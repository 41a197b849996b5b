"""Interop: an independent FAPI 2.0 relying party, node's ``openid-client``, against the service.

The client (tests/interop/fapi_client.mjs, installed with ``npm ci`` from the
lockfile) registers itself at the mock (RFC 7591: registration is open in test
mode) with its own ES256 key for ``private_key_jwt``, PAR required and
DPoP-bound tokens, then pushes its request with a DPoP proof, follows the
authorization URL (the mock's persona signs in silently: a registered client is
never a test client, so the test-identity header would not), redeems the code
and calls userinfo with DPoP. Nothing of ours runs on the client side.

With ``EID_OCLIENT_JWE=1`` the client also registers an ECDH-ES key and
encrypted ID tokens and userinfo (ECDH-ES + A256GCM) and decrypts them.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from typing import Any

import pytest

from eid.testing import MockService
from tests.servers import INTEROP, interop_node

HUNG = "074078000101"  # fixtures/README.md
REDIRECT_URI = "http://127.0.0.1:9/cb"  # never called: the client reads the redirect
PUSHED_URI = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 §2.2


@pytest.fixture
def eid_mock_persona() -> str:
    return HUNG


def _run_client(issuer: str, *, jwe: bool = False) -> dict[str, Any]:
    node = interop_node()
    env = {**os.environ, "EID_OCLIENT_JWE": "1" if jwe else "0"}
    proc = subprocess.run([node, "fapi_client.mjs", issuer, REDIRECT_URI],  # noqa: S603
                          cwd=INTEROP, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture
def flow(eid_mock_service: MockService) -> dict[str, Any]:
    return _run_client(eid_mock_service.issuer)


def test_openid_client_registers_and_runs_par_dpop_private_key_jwt(
        flow: dict[str, Any], eid_mock_service: MockService) -> None:
    issuer = eid_mock_service.issuer
    assert flow["client_id"].startswith("dcr-")  # ours, from the registration
    assert flow["request_uri"].startswith(PUSHED_URI)
    assert flow["authorization_response"]["iss"] == issuer  # RFC 9207
    assert flow["token_type"].lower() == "dpop"  # RFC 9449 §5
    assert flow["claims"]["aud"] == flow["client_id"]
    assert flow["claims"]["acr"] == "LoA2"
    assert flow["userinfo"]["sub"] == flow["sub"] == flow["claims"]["sub"]
    assert flow["userinfo"]["name"] == "Nguyễn Văn Hùng"


def test_openid_clients_access_token_is_refused_as_bearer(
        flow: dict[str, Any], eid_mock_service: MockService) -> None:
    # RFC 9449 §7.1: the token is bound to the client's DPoP key, not a bearer token.
    req = urllib.request.Request(eid_mock_service.issuer + "/userinfo", headers={
        "Authorization": f"Bearer {flow['access_token']}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 401
    assert err.value.headers["WWW-Authenticate"].startswith("DPoP")


def test_openid_client_decrypts_id_token_and_userinfo(eid_mock_service: MockService) -> None:
    # OIDC Core §10.2, FAPI 2.0 as Singpass runs it: signed, then encrypted to the client.
    flow = _run_client(eid_mock_service.issuer, jwe=True)
    assert flow["encrypted"] == {"id_token": True, "userinfo": True}
    assert flow["userinfo"]["name"] == "Nguyễn Văn Hùng"
