"""Rich Authorization Requests (RFC 9396, type ``vn_procedure``) on the login service:
at /authorize and /par, on the consent screen, in remembered consents, grants, token
responses, refresh, introspection, discovery and registration."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask

from tests.service.fapi import (
    FAPI_ID,
    assertion_form,
    authorize_pushed,
    code_of,
    dpop_post,
    push,
    pushed,
    redeem,
    request_uri,
)
from tests.service.flow import HCM, TEST_CLIENT, Flow, query

CT01 = {"type": "vn_procedure", "procedure": "ct01",
        "attributes": ["profile", "id_number", "contact", "household"]}
KHAI_SINH = {"type": "vn_procedure", "procedure": "khai-sinh",
             "attributes": ["profile", "id_number"]}
SILENT = {"X-Eid-Test-Identity": "074078000101"}


def _details(*objects: dict[str, Any]) -> str:
    return json.dumps(list(objects))


@pytest.fixture
def silent(test_mode_app: Flask) -> Flow:
    return Flow(test_mode_app)


def _silent_tokens(flow: Flow, details: str | None, scope: str = "openid") -> dict[str, Any]:
    auth = flow.request(TEST_CLIENT, scope=scope, authorization_details=details)  # type: ignore[arg-type]
    r = flow.start(auth, headers=SILENT)
    assert r.status_code == 302, r.get_data(as_text=True)
    auth.result = query(r.location)
    tokens = flow.redeem(auth, TEST_CLIENT)
    assert tokens.status_code == 200, tokens.json
    body: dict[str, Any] = tokens.json
    return body


def _consent_page(flow: Flow, details: str | None, **extra: str) -> str:
    auth = flow.request(HCM, scope="openid profile", authorization_details=details,  # type: ignore[arg-type]
                        **extra)
    r = flow.follow(flow.start(auth))
    assert b'id="login-form"' in r.data
    r = flow.follow(flow.submit_login("074078000101", "Hung-1978!", auth.req_id))
    assert r.status_code == 200 and b'id="consent-form"' in r.data
    return r.get_data(as_text=True)


# -- the consent screen ------------------------------------------------------------------

def test_the_consent_screen_names_the_procedure(flow: Flow) -> None:
    page = _consent_page(flow, _details(CT01))
    assert "cho thủ tục:</strong> Đăng ký thay đổi thông tin cư trú (CT01)" in page
    assert "Mục đích:" not in page


def test_the_consent_screen_names_the_procedure_in_english(flow: Flow) -> None:
    page = _consent_page(flow, _details(CT01), ui_locales="en")
    assert "for:</strong> Residence information change (CT01)" in page


def test_without_a_procedure_the_registered_purpose_is_shown(flow: Flow) -> None:
    page = _consent_page(flow, None)
    assert "Mục đích:</strong> Điền sẵn tờ khai" in page
    assert "cho thủ tục" not in page


def test_the_procedure_s_attributes_are_requested_with_the_scope(flow: Flow) -> None:
    page = _consent_page(flow, _details(CT01))
    for scope in CT01["attributes"]:
        assert f'data-scope="{scope}"' in page


# -- remembered consent: another procedure is another purpose -----------------------------

def test_a_remembered_consent_covers_its_procedure_but_not_another(flow: Flow) -> None:
    first = flow.request(HCM, scope="openid profile id_number",
                         authorization_details=_details(KHAI_SINH))
    flow.authorize(first)
    assert "code" in first.result
    again = flow.request(HCM, scope="openid profile id_number",
                         authorization_details=_details(KHAI_SINH))
    r = flow.follow(flow.start(again))
    assert r.status_code == 302 and "code=" in r.location  # same procedure: no screen
    other = flow.request(HCM, scope="openid profile id_number",
                         authorization_details=_details({**KHAI_SINH, "procedure": "ct01"}))
    r = flow.follow(flow.start(other))
    assert b'id="consent-form"' in r.data  # same scopes, another procedure: asked again
    none = flow.request(HCM, scope="openid profile id_number", prompt="none",
                        authorization_details=_details({**KHAI_SINH, "procedure": "ct01"}))
    r = flow.start(none)
    assert query(r.location)["error"] == "consent_required"


def test_a_request_without_a_procedure_is_covered_by_the_scopes_alone(flow: Flow) -> None:
    # The client's registered purpose is the fallback: such a request needs what it
    # always needed, a consent covering its scopes (decided: procedure items only add).
    first = flow.request(HCM, scope="openid profile id_number",
                         authorization_details=_details(KHAI_SINH))
    flow.authorize(first)
    plain = flow.request(HCM, scope="openid profile id_number")
    r = flow.follow(flow.start(plain))
    assert r.status_code == 302 and "code=" in r.location


# -- tokens, grant, refresh, introspection --------------------------------------------------

def test_the_token_response_and_the_grant_carry_the_procedure(silent: Flow) -> None:
    body = _silent_tokens(silent, _details(CT01))
    assert body["authorization_details"] == [CT01]  # RFC 9396 §7
    assert set(body["scope"].split()) == {"openid", *CT01["attributes"]}
    info = silent.introspect(body["access_token"], TEST_CLIENT)
    assert info["authorization_details"] == [CT01]  # §9.2
    grant = silent.app.extensions["eid"].durable.live_grants("074078000101", time.time())
    assert [g.procedure for g in grant] == ["ct01"]


def test_without_details_nothing_is_added(silent: Flow) -> None:
    body = _silent_tokens(silent, None, scope="openid profile")
    assert "authorization_details" not in body
    assert "authorization_details" not in silent.introspect(body["access_token"], TEST_CLIENT)


def test_refresh_keeps_the_procedure_and_narrows_its_attributes_with_the_scope(
        silent: Flow) -> None:
    body = _silent_tokens(silent, _details(CT01), scope="openid offline_access")
    refreshed = silent.token({"grant_type": "refresh_token",
                              "refresh_token": body["refresh_token"]}, TEST_CLIENT).json
    assert refreshed["authorization_details"] == [CT01]
    narrowed = silent.token({"grant_type": "refresh_token", "scope": "openid profile",
                             "refresh_token": refreshed["refresh_token"]}, TEST_CLIENT).json
    assert narrowed["authorization_details"] == [{**CT01, "attributes": ["profile"]}]
    info = silent.introspect(narrowed["refresh_token"], TEST_CLIENT)
    assert info["authorization_details"] == [CT01]  # the grant itself is unchanged


def test_authorization_details_at_the_token_endpoint_are_refused(silent: Flow) -> None:
    body = _silent_tokens(silent, _details(CT01), scope="openid offline_access")
    r = silent.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
                      "authorization_details": _details(CT01)}, TEST_CLIENT)
    assert r.status_code == 400 and r.json["error"] == "invalid_request"
    # Refused before anything happened: the refresh token still works.
    ok = silent.token({"grant_type": "refresh_token",
                       "refresh_token": body["refresh_token"]}, TEST_CLIENT)
    assert ok.status_code == 200


# -- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("details", "error"), [
    (_details({**CT01, "type": "payment_initiation"}), "invalid_authorization_details"),
    (_details({**CT01, "procedure": "dang-ky-ket-hon"}), "invalid_authorization_details"),
    (_details({**CT01, "attributes": ["profile", "made_up"]}),
     "invalid_authorization_details"),
    (_details({**CT01, "locations": ["https://x.vn"]}), "invalid_authorization_details"),
    (json.dumps(CT01), "invalid_authorization_details"),  # not an array
    ("[{", "invalid_request"),  # not JSON: a malformed request (RFC 6749 §4.1.2.1)
    ('[{"type": "vn_procedure", "type": "x"}]', "invalid_request"),  # duplicate member
    ("[[[[1]]]]", "invalid_request"),  # deeper than the cap
    (_details({**CT01, "procedure": "x" * 1100}), "invalid_request"),  # longer than the cap
])
def test_bad_details_are_redirected_with_their_code(
        silent: Flow, details: str, error: str) -> None:
    auth = silent.request(TEST_CLIENT, authorization_details=details)
    r = silent.start(auth, headers=SILENT)
    assert r.status_code == 302
    result = query(r.location)
    assert r.location.startswith(TEST_CLIENT.redirect_uri)
    assert (result["error"], result["state"]) == (error, "st-123")


def test_a_client_not_registered_for_procedures_is_refused(flow: Flow) -> None:
    from tests.service.flow import NATIONAL
    auth = flow.request(NATIONAL, scope="openid profile", authorization_details=_details(
        {**CT01, "attributes": ["profile"]}))
    r = flow.start(auth)
    assert query(r.location)["error"] == "invalid_authorization_details"


# -- PAR (the FAPI client) -----------------------------------------------------------------

def test_the_fapi_client_pushes_a_procedure_and_gets_it_back(silent: Flow) -> None:
    auth = pushed(silent, scope="openid", authorization_details=_details(CT01))
    code = code_of(authorize_pushed(silent, FAPI_ID, request_uri(silent, auth)))
    tokens = redeem(silent, auth, code)
    assert tokens.status_code == 200, tokens.json
    assert tokens.json["authorization_details"] == [CT01]
    form = {"token": tokens.json["access_token"], **assertion_form(silent)}
    info = dpop_post(silent, "/introspect", form).json
    assert info["authorization_details"] == [CT01]


def test_par_answers_invalid_authorization_details_as_json(silent: Flow) -> None:
    auth = pushed(silent, authorization_details=_details({**CT01, "procedure": "nope"}))
    r = push(silent, auth)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_authorization_details"


# -- discovery and registration ------------------------------------------------------------

def test_discovery_advertises_the_type(flow: Flow) -> None:
    doc = flow.api.get("/.well-known/openid-configuration").json
    assert doc["authorization_details_types_supported"] == ["vn_procedure"]


def test_a_registered_client_may_name_procedures_but_never_grant_itself_match(
        test_mode_app: Flask) -> None:
    api = test_mode_app.test_client()
    r = api.post("/register", json={
        "redirect_uris": ["http://127.0.0.1:7100/cb"], "client_name": "Cổng thử",
        "scope": "openid profile", "authorization_details_types": ["vn_procedure"],
        "procedures": ["ct01"], "match": True})
    assert r.status_code == 201, r.json
    client = test_mode_app.extensions["eid"].clients.get(r.json["client_id"])
    assert (client.procedures, client.authorization_details_types, client.match) == (
        ("ct01",), ("vn_procedure",), False)


@pytest.mark.parametrize("body", [
    {"procedures": ["not-a-procedure"]},
    {"authorization_details_types": ["payment_initiation"]},
])
def test_registration_refuses_unknown_procedures_and_types(
        test_mode_app: Flask, body: dict[str, Any]) -> None:
    r = test_mode_app.test_client().post("/register", json={
        "redirect_uris": ["http://127.0.0.1:7100/cb"], "client_name": "Cổng thử",
        "scope": "openid profile", **body})
    assert r.status_code == 400 and r.json["error"] == "invalid_client_metadata"
    assert next(iter(body)) in r.json["error_description"]


# -- the library's RelyingParty against the service: the FAPI client through PAR ----------

def test_relying_party_names_the_procedure_through_par_with_dpop(test_mode_app: Flask) -> None:
    from eid.oidc import RelyingParty
    from service.in_process import InProcessHttp
    from tests.service.fapi import FAPI_REDIRECT, client_key

    flow = Flow(test_mode_app)
    rp = RelyingParty(issuer=flow.issuer, client_id=FAPI_ID, redirect_uri=FAPI_REDIRECT,
                      private_key=client_key(), use_par=True, dpop=True,
                      scopes=("openid", "profile", "household"),
                      http=InProcessHttp(test_mode_app.test_client()))
    url, pending = rp.start_login(acr="LoA2", procedure="ct01")
    assert set(query(url)) == {"client_id", "request_uri"}  # the details were pushed
    r = flow.browser.get(url.removeprefix(flow.issuer), headers=SILENT)
    result = rp.complete_login(query(r.location), pending)
    assert result.procedure == "ct01"
    grants = test_mode_app.extensions["eid"].durable.live_grants("074078000101", time.time())
    assert [g.procedure for g in grants] == ["ct01"]
