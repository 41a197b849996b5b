"""The fapi2 profile on the login service, named after the FAPI 2.0 test plan's checks:
codes (FAPI 2.0 §5.3.2.1), PKCE, the citizen declining, and the happy flows of a real
client (eid.oidc.RelyingParty) against the service: PAR + private_key_jwt with the
test-local PAR client, and the whole profile (PAR + DPoP + private_key_jwt) with the
fapi2 fixture client.
"""

from __future__ import annotations

import pytest
from flask import Flask
from freezegun import freeze_time

from eid.errors import OAuthError
from eid.oidc import RelyingParty, make_pkce
from service import create_app
from service.config import Settings
from service.in_process import InProcessHttp
from tests.service.fapi import (
    FAPI_ID,
    FAPI_REDIRECT,
    PAR_ID,
    PAR_REDIRECT,
    add_par_client,
    authorize_pushed,
    client_key,
    code_of,
    push,
    pushed,
    redeem,
    request_uri,
)
from tests.service.flow import Authorization, Flow, query


@pytest.fixture
def long_code_app(settings: Settings) -> Flask:
    """The service with a general code lifetime beyond what fapi2 allows."""
    app = create_app({"TESTING": True,
                      "EID_SETTINGS": settings.with_(test_mode=True, code_ttl=600)})
    add_par_client(app)
    return app


def test_fapi2_attempt_reuse_authorization_code_after_one_second(long_code_app: Flask) -> None:
    flow = Flow(long_code_app)
    with freeze_time() as clock:
        auth = pushed(flow)
        code = code_of(authorize_pushed(flow, FAPI_ID, request_uri(flow, auth)))
        first = redeem(flow, auth, code)
        assert first.status_code == 200, first.json
        clock.tick(1)
        again = redeem(flow, auth, code)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_fapi2_ensure_expired_authorization_code_rejected(long_code_app: Flask) -> None:
    # FAPI 2.0 §5.3.2.1: 60 s at most for a fapi2 client, though the service allows 600.
    flow = Flow(long_code_app)
    with freeze_time() as clock:
        auth = pushed(flow)
        code = code_of(authorize_pushed(flow, FAPI_ID, request_uri(flow, auth)))
        clock.tick(61)
        r = redeem(flow, auth, code)
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_code_lifetime_of_other_clients_is_the_services(long_code_app: Flask) -> None:
    flow = Flow(long_code_app)
    with freeze_time() as clock:
        auth = pushed(flow, PAR_ID, PAR_REDIRECT)
        code = code_of(authorize_pushed(flow, PAR_ID, request_uri(flow, auth)))
        clock.tick(61)
        assert redeem(flow, auth, code).status_code == 200


def test_fapi2_ensure_authorization_code_bound_to_client(long_code_app: Flask) -> None:
    flow = Flow(long_code_app)
    auth = pushed(flow)
    code = code_of(authorize_pushed(flow, FAPI_ID, request_uri(flow, auth)))
    r = redeem(flow, auth, code, client_id=PAR_ID)  # another, authenticated client
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_fapi2_happy_flow_par_private_key_jwt_with_relying_party(test_mode_app: Flask) -> None:
    add_par_client(test_mode_app)
    flow = Flow(test_mode_app)
    rp = RelyingParty(issuer=flow.issuer, client_id=PAR_ID, redirect_uri=PAR_REDIRECT,
                      private_key=client_key(), use_par=True,
                      http=InProcessHttp(test_mode_app.test_client()))
    url, pending = rp.start_login(acr="LoA2")
    params = query(url)
    assert set(params) == {"client_id", "request_uri"}  # pushed (RFC 9126 §4)
    r = flow.browser.get(url.removeprefix(flow.issuer),
                         headers={"X-Eid-Test-Identity": "074078000101"})
    assert r.status_code == 302 and r.location.startswith(PAR_REDIRECT)
    result = rp.complete_login(query(r.location), pending)
    assert result.acr == "LoA2"
    assert result.userinfo["sub"] == result.subject
    assert result.tokens.access_token



def test_fapi2_happy_flow_with_dpop_and_private_key_jwt(test_mode_app: Flask) -> None:
    # The whole FAPI 2.0 profile with the fapi2 fixture client: PAR, PKCE S256,
    # private_key_jwt, DPoP with the server's nonces on PAR, token and userinfo.
    flow = Flow(test_mode_app)
    rp = RelyingParty(issuer=flow.issuer, client_id=FAPI_ID, redirect_uri=FAPI_REDIRECT,
                      private_key=client_key(), use_par=True, dpop=True,
                      http=InProcessHttp(test_mode_app.test_client()))
    url, pending = rp.start_login(acr="LoA2")
    assert set(query(url)) == {"client_id", "request_uri"}
    r = flow.browser.get(url.removeprefix(flow.issuer),
                         headers={"X-Eid-Test-Identity": "074078000101"})
    assert r.status_code == 302 and r.location.startswith(FAPI_REDIRECT)
    result = rp.complete_login(query(r.location), pending)
    assert result.tokens.token_type.lower() == "dpop"
    assert result.userinfo["sub"] == result.subject
    info = flow.app.extensions["eid"]
    assert info.clients.get(FAPI_ID).fapi2


def test_fapi2_client_without_dpop_is_refused_at_the_token_endpoint(
        test_mode_app: Flask) -> None:
    flow = Flow(test_mode_app)
    rp = RelyingParty(issuer=flow.issuer, client_id=FAPI_ID, redirect_uri=FAPI_REDIRECT,
                      private_key=client_key(), use_par=True,
                      http=InProcessHttp(test_mode_app.test_client()))
    url, pending = rp.start_login(acr="LoA2")
    r = flow.browser.get(url.removeprefix(flow.issuer),
                         headers={"X-Eid-Test-Identity": "074078000101"})
    with pytest.raises(OAuthError) as err:
        rp.complete_login(query(r.location), pending)
    assert err.value.code == "invalid_dpop_proof"


def test_fapi2_user_rejects_authentication(test_mode_app: Flask) -> None:
    # The citizen declines on the consent screen: access_denied goes back with the
    # pushed state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2).
    flow = Flow(test_mode_app)
    auth = pushed(flow)
    uri = request_uri(flow, auth)
    declined = Authorization({"client_id": FAPI_ID, "request_uri": uri}, auth.verifier)
    result = flow.authorize(declined, consent="deny")
    assert declined.response is not None
    assert declined.response.location.startswith(FAPI_REDIRECT + "?")
    assert result["error"] == "access_denied"
    assert (result["state"], result["iss"]) == ("st-par", flow.issuer)
    assert "code" not in result


@pytest.mark.parametrize(("name", "change"), [
    ("fapi2_ensure_pkce_required", {"code_challenge": None, "code_challenge_method": None}),
    ("fapi2_ensure_pkce_plain_rejected", {"code_challenge_method": "plain"}),
])
def test_fapi2_pkce_is_required_at_par(test_mode_app: Flask, name: str,
                                       change: dict[str, str | None]) -> None:
    flow = Flow(test_mode_app)
    r = push(flow, pushed(flow, **change))
    assert (r.status_code, r.json["error"]) == (400, "invalid_request"), name


def test_fapi2_ensure_wrong_pkce_verifier_rejected(test_mode_app: Flask) -> None:
    flow = Flow(test_mode_app)
    auth = pushed(flow)
    code = code_of(authorize_pushed(flow, FAPI_ID, request_uri(flow, auth)))
    wrong = Authorization(auth.params, make_pkce()[0])
    r = redeem(flow, wrong, code)
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")
