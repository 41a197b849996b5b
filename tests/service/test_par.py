"""Pushed authorization requests (RFC 9126) on the login service.

Test names follow the FAPI 2.0 Security Profile test plan's provider checks
(fapi2-security-profile-final-*) where one applies.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time

from tests.service.fapi import (
    FAPI_ID,
    FAPI_REDIRECT,
    PAR_ID,
    PAR_REDIRECT,
    URN,
    add_par_client,
    assertion_form,
    authorize_pushed,
    code_of,
    push,
    pushed,
    redeem,
    request_uri,
)
from tests.service.flow import HCM, Flow, Portal, query


@pytest.fixture
def flow(test_mode_app: Flask) -> Flow:
    add_par_client(test_mode_app)
    return Flow(test_mode_app)


def test_par_answers_201_with_a_fresh_request_uri(flow: Flow) -> None:
    auth = pushed(flow)
    first, second = push(flow, auth), push(flow, auth)
    assert first.status_code == 201
    assert first.headers["Cache-Control"] == "no-store"
    assert first.json["expires_in"] == 60
    assert first.json["request_uri"].startswith(URN)
    assert len(first.json["request_uri"]) >= len(URN) + 43  # 256 random bits
    assert first.json["request_uri"] != second.json["request_uri"]
    assert "Set-Cookie" not in first.headers  # /par is no browser endpoint


def test_par_happy_flow_to_tokens(flow: Flow) -> None:
    auth = pushed(flow, PAR_ID, PAR_REDIRECT)
    r = authorize_pushed(flow, PAR_ID, request_uri(flow, auth))
    assert r.location.startswith(PAR_REDIRECT + "?")
    result = query(r.location)
    assert result["state"] == "st-par" and result["iss"] == flow.issuer
    tokens = redeem(flow, auth, result["code"])
    assert tokens.status_code == 200, tokens.json
    claims = flow.verify(tokens.json["id_token"], Portal(PAR_ID, "", PAR_REDIRECT))
    assert claims["aud"] == PAR_ID


def test_par_with_client_secret_basic(flow: Flow) -> None:
    # PAR is open to every client, authenticated by its own method (RFC 9126 §2).
    headers, _ = flow.client_auth(HCM)
    auth = flow.request(HCM)
    r = flow.api.post("/par", data=auth.params, headers=headers)
    assert r.status_code == 201, r.json


def test_fapi2_par_attempt_reuse_request_uri(flow: Flow) -> None:
    auth = pushed(flow)
    uri = request_uri(flow, auth)
    code_of(authorize_pushed(flow, FAPI_ID, uri))
    again = authorize_pushed(flow, FAPI_ID, uri)
    # Not redirected (no redirect URI is trusted without the request): an error page.
    assert again.status_code == 400
    assert b"invalid_request_uri" in again.data


def test_fapi2_par_attempt_to_use_expired_request_uri(flow: Flow) -> None:
    with freeze_time() as clock:
        auth = pushed(flow)
        uri = request_uri(flow, auth)
        clock.tick(61)
        r = authorize_pushed(flow, FAPI_ID, uri)
    assert r.status_code == 400
    assert b"invalid_request_uri" in r.data


def test_par_request_uri_usable_until_its_lifetime(flow: Flow) -> None:
    with freeze_time() as clock:
        auth = pushed(flow)
        uri = request_uri(flow, auth)
        clock.tick(59)
        code_of(authorize_pushed(flow, FAPI_ID, uri))


def test_fapi2_par_request_uri_used_by_another_client(flow: Flow) -> None:
    auth = pushed(flow)
    uri = request_uri(flow, auth)
    stranger = authorize_pushed(flow, PAR_ID, uri)
    assert stranger.status_code == 400
    assert b"invalid_request_uri" in stranger.data
    # RFC 9126 §7.3: the stranger did not use it up for its owner.
    assert code_of(authorize_pushed(flow, FAPI_ID, uri))


def test_fapi2_par_get_rejected(flow: Flow) -> None:
    r = flow.api.get("/par", query_string=pushed(flow).params)
    assert r.status_code == 405
    assert r.headers["Content-Type"] == "application/json"
    assert r.json["error"] == "invalid_request"
    assert "POST" in r.headers["Allow"]


def test_fapi2_ensure_par_required_for_plain_request(flow: Flow) -> None:
    # RFC 9126 §5: refused, and sent back since the redirect URI is registered.
    auth = pushed(flow)
    r = flow.browser.get("/authorize", query_string=auth.params,
                         headers={"X-Eid-Test-Identity": "074078000101"})
    assert r.status_code == 302 and r.location.startswith(FAPI_REDIRECT)
    result = query(r.location)
    assert result["error"] == "invalid_request" and "code" not in result
    assert result["state"] == "st-par"


def test_plain_request_still_works_for_clients_without_par(flow: Flow) -> None:
    auth = flow.request(HCM)
    r = flow.start(auth)
    assert r.status_code == 302 and "error" not in r.location


def test_parameters_beside_request_uri_are_ignored(flow: Flow) -> None:
    # RFC 9126 §4: only the pushed parameters count.
    auth = pushed(flow)
    r = authorize_pushed(flow, FAPI_ID, request_uri(flow, auth),
                         redirect_uri="http://127.0.0.1:9999/cb", state="other",
                         scope="openid id_number")
    assert r.location.startswith(FAPI_REDIRECT + "?")
    assert query(r.location)["state"] == "st-par"
    tokens = redeem(flow, auth, query(r.location)["code"])
    assert tokens.json["scope"] == "openid profile"


def test_unknown_pushed_uri_and_other_uris(flow: Flow) -> None:
    r = authorize_pushed(flow, FAPI_ID, URN + "made-up")
    assert r.status_code == 400 and b"invalid_request_uri" in r.data
    # A request_uri that is not ours stays unsupported (redirected, as before).
    auth = pushed(flow, request_uri="https://rp.example/r")
    r = flow.browser.get("/authorize", query_string=auth.params)
    assert query(r.location)["error"] == "request_uri_not_supported"


@pytest.mark.parametrize(("params", "message"), [
    ({"request_uri": URN + "x"}, "client_id is missing"),
    ({"request_uri": URN + "x", "client_id": "nobody"}, "unknown client_id"),
])
def test_request_uri_without_a_known_client_is_an_error_page(
        flow: Flow, params: dict[str, str], message: str) -> None:
    r = flow.browser.get("/authorize", query_string=params)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


# RFC 9126 §2.3: the pushed request is validated as /authorize validates it, and every
# error is a JSON error response (never a redirect).
@pytest.mark.parametrize(("change", "code"), [
    ({"response_type": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"code_challenge": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"redirect_uri": "http://127.0.0.1:9999/elsewhere"}, "invalid_request"),
    ({"redirect_uri": None}, "invalid_request"),
    ({"request_uri": URN + "x"}, "invalid_request"),  # §2.1: MUST NOT be pushed
    ({"request": "e30.e30."}, "request_not_supported"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"claims": "[]"}, "invalid_request"),
    ({"state": "x" * 513}, "invalid_request"),
])
def test_par_refuses_what_authorize_refuses(flow: Flow, change: dict[str, Any],
                                            code: str) -> None:
    auth = pushed(flow, **change)
    r = push(flow, auth, assertion_form(flow))
    assert r.status_code == 400, r.json
    assert r.json["error"] == code
    assert r.headers["Cache-Control"] == "no-store"
    assert "Location" not in r.headers


def test_par_request_of_another_client_refused(flow: Flow) -> None:
    # RFC 9126 §2.1: the pushed request is the authenticated client's own.
    headers, _ = flow.client_auth(HCM)
    auth = pushed(flow)  # client_id: the FAPI client
    r = flow.api.post("/par", data=auth.params, headers=headers)
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_par_requires_client_authentication(flow: Flow) -> None:
    r = flow.api.post("/par", data=pushed(flow).params)
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_par_with_bad_assertion_is_invalid_client(flow: Flow) -> None:
    r = push(flow, pushed(flow), assertion_form(flow, aud="https://other.example"))
    assert r.status_code == 401 and r.json["error"] == "invalid_client"


def test_par_without_client_id_takes_the_authenticated_client(flow: Flow) -> None:
    # RFC 7521 §4.2: an assertion identifies the client; the pushed request is its own.
    auth = pushed(flow)
    form = assertion_form(flow)
    del form["client_id"]
    params = {k: v for k, v in auth.params.items() if k != "client_id"}
    r = flow.api.post("/par", data={**params, **form})
    assert r.status_code == 201, r.json
    assert code_of(authorize_pushed(flow, FAPI_ID, r.json["request_uri"]))
