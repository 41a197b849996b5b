"""The demo portal names each procedure in its login (RFC 9396 ``vn_procedure``)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from flask import Flask

from eid.prefill.procedures import load_procedure_catalogue
from tests.oidc.fake_provider import FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in  # noqa: F401

CODES = list(load_procedure_catalogue())


def _details(url: str) -> Any:
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    return json.loads(query["authorization_details"])


@pytest.mark.parametrize("code", CODES)
def test_each_procedure_logs_in_for_itself(app: Flask, provider: FakeProvider,  # noqa: F811
                                           registry: Any, code: str) -> None:  # noqa: F811
    client = app.test_client()
    login = client.get(f"/procedures/{code}").headers["Location"]
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(login).query))["procedure"] == code
    auth_url = client.get(login).headers["Location"]
    details = _details(auth_url)
    assert [d["procedure"] for d in details] == [code]
    scopes = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))["scope"]
    assert set(details[0]["attributes"]) == set(scopes.split()) - {"openid"}
    resp = sign_in(client, provider, registry, f"/procedures/{code}")
    assert resp.headers["Location"] == f"/procedures/{code}"
    assert client.get(f"/procedures/{code}").status_code == 200


def test_a_login_for_one_procedure_does_not_open_another(
        app: Flask, provider: FakeProvider, registry: Any) -> None:  # noqa: F811
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    resp = client.get("/procedures/khai-sinh")
    assert resp.status_code == 302 and "procedure=khai-sinh" in resp.headers["Location"]
