"""Helpers for the FAPI 2.0 tests: the FAPI test client, its key, pushed requests and
client assertions against the service's test client.

``eid-fapi-test-client`` (fixtures/test-clients.json, test mode only) signs with
``ec-p256-b`` of fixtures/keys/test-signing-keys.json. ``PAR_CLIENT`` is a test-local
variant that is *not* fapi2 (PAR required, private_key_jwt, the same keys): the
happy flows that must not depend on DPoP use it, rather than weakening the fapi2 rules.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from eid.oidc import DpopKey, make_pkce
from eid.oidc.client_assertion import JWT_BEARER
from eid.oidc.clients import Client
from eid.signing import SigningKey, load_signing_keys
from eid.testing import make_client_assertion
from tests.service.flow import Authorization, Flow, query

ROOT = Path(__file__).resolve().parents[2]
FAPI_ID = "eid-fapi-test-client"
FAPI_REDIRECT = "http://127.0.0.1:9999/fapi-cb"
PAR_ID = "eid-par-test-client"
PAR_REDIRECT = "http://127.0.0.1:9999/par-cb"
URN = "urn:ietf:params:oauth:request_uri:"


def client_key(kid: str = "ec-p256-b") -> SigningKey:
    return load_signing_keys(ROOT / "fixtures" / "keys" / "test-signing-keys.json")[kid]


def add_par_client(app: Flask, **changes: Any) -> Client:
    """Register the test-local PAR client (a non-fapi2 copy of the FAPI test client)."""
    p = app.extensions["eid"]
    fapi = p.clients.get(FAPI_ID)
    assert fapi is not None, "needs test mode"
    local = dataclasses.replace(fapi, client_id=PAR_ID, redirect_uris=(PAR_REDIRECT,),
                                profile="oidc", dpop_bound=False, require_par=True,
                                **changes)
    app.extensions["eid"] = dataclasses.replace(p, clients=p.clients.with_clients(local))
    return local


def assertion_form(flow: Flow, client_id: str = FAPI_ID, key: SigningKey | None = None,
                   aud: str | None = None, **claims: Any) -> dict[str, str]:
    """The form fields of a private_key_jwt authentication."""
    token = make_client_assertion(client_id, aud or flow.issuer, key or client_key(),
                                  claims=claims)
    return {"client_id": client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": token}


def pushed(flow: Flow, client_id: str = FAPI_ID, redirect_uri: str = FAPI_REDIRECT,
           **extra: str | None) -> Authorization:
    """An authorization request of ``client_id`` (not sent yet)."""
    verifier, challenge = make_pkce()
    params: dict[str, str | None] = {
        "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "openid profile", "state": "st-par", "nonce": "n-par",
        "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(extra)
    return Authorization({k: v for k, v in params.items() if v is not None}, verifier)


def push(flow: Flow, auth: Authorization, auth_form: dict[str, str] | None = None
         ) -> TestResponse:
    form = {**auth.params, **(auth_form or assertion_form(flow, auth.params["client_id"]))}
    return flow.api.post("/par", data=form)


def request_uri(flow: Flow, auth: Authorization) -> str:
    r = push(flow, auth)
    assert r.status_code == 201, r.json
    uri: str = r.json["request_uri"]
    return uri


def authorize_pushed(flow: Flow, client_id: str, uri: str, **extra: str) -> TestResponse:
    """/authorize with a request_uri, signed in silently as a fixture citizen (test mode)."""
    return flow.browser.get("/authorize", query_string={
        "client_id": client_id, "request_uri": uri, **extra},
        headers={"X-Eid-Test-Identity": "074078000101"})


def code_of(r: TestResponse) -> str:
    assert r.status_code == 302, r.get_data(as_text=True)
    code: str = query(r.location)["code"]
    return code


def dpop_post(flow: Flow, path: str, data: dict[str, str], key: DpopKey | None = None
              ) -> TestResponse:
    """POST ``data`` to ``path`` with a DPoP proof, retrying once with the server's nonce
    (RFC 9449 §8: fapi2 clients are asked for one). The form is rebuilt per try by the
    caller's data (a client assertion's jti is single-use: pass a fresh form per call)."""
    key = key or DpopKey()
    url = flow.issuer + path
    r = flow.api.post(path, data=data, headers={"DPoP": key.proof("POST", url)})
    nonce = r.headers.get("DPoP-Nonce")
    if r.status_code == 400 and r.json.get("error") == "use_dpop_nonce" and nonce:
        data = {**data, **({"client_assertion": make_client_assertion(
            data["client_id"], flow.issuer, client_key())} if "client_assertion" in data
            else {})}
        r = flow.api.post(path, data=data,
                          headers={"DPoP": key.proof("POST", url, nonce=nonce)})
    return r


def redeem(flow: Flow, auth: Authorization, code: str, client_id: str | None = None
           ) -> TestResponse:
    """The token request; with a DPoP proof (and its nonce) when the client needs one."""
    who = client_id or auth.params["client_id"]
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": auth.params["redirect_uri"], "code_verifier": auth.verifier,
            **assertion_form(flow, who)}
    client = flow.app.extensions["eid"].clients.get(who)
    if client is not None and client.dpop_bound:
        return dpop_post(flow, "/token", form)
    return flow.api.post("/token", data=form)
