"""Edge cases of the authorization endpoint the first review did not reach: prompt and
max_age with a live session, duplicate values, hints, and what the claims parameter may ask."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from tests.service.flow import HCM, LOA2, NATIONAL, Flow, query


def _signed_in(flow: Flow) -> None:
    assert "code" in flow.authorize(flow.request())


# A signed-in citizen who consented to "openid profile": what a new request leads to.
WITH_SESSION = {
    "nothing asked": ({}, "code"),
    "max_age=0": ({"max_age": "0"}, "/login"),  # OIDC Core §3.1.2.1: re-authenticate
    "max_age large": ({"max_age": "86400"}, "code"),
    "prompt=login": ({"prompt": "login"}, "/login"),
    "prompt=select_account": ({"prompt": "select_account"}, "/login"),
    "prompt=consent": ({"prompt": "consent"}, "/consent"),
    "prompt=none": ({"prompt": "none"}, "code"),
    "prompt=login login": ({"prompt": "login login"}, "/login"),
    "prompt=none, new scope": ({"prompt": "none", "scope": "openid residence"},
                               "consent_required"),
}


@pytest.mark.parametrize(("extra", "outcome"), WITH_SESSION.values(), ids=WITH_SESSION.keys())
def test_requests_with_a_live_session(flow: Flow, extra: dict[str, str], outcome: str) -> None:
    with freeze_time() as clock:
        _signed_in(flow)
        clock.tick(5)
        r = flow.start(flow.request(**extra))
    assert r.status_code == 302
    if outcome.startswith("/"):
        assert r.location.startswith(outcome), r.location
    elif outcome == "code":
        assert "code" in query(r.location), r.location
    else:
        assert query(r.location)["error"] == outcome


def test_duplicate_scope_values_are_granted_once(flow: Flow) -> None:
    auth = flow.request(scope="openid openid profile profile")
    flow.authorize(auth)
    assert flow.redeem(auth).json["scope"] == "openid profile"


def test_id_token_hint_of_another_portal_is_refused(flow: Flow) -> None:
    auth = flow.request(NATIONAL)
    flow.authorize(auth)
    hint = flow.redeem(auth, NATIONAL).json["id_token"]
    r = flow.start(flow.request(HCM, id_token_hint=hint))
    assert query(r.location)["error"] == "invalid_request"


@pytest.mark.parametrize("hint", ['"><script>x</script>', "0740780001011", "07407800010a"])
def test_a_login_hint_that_is_no_id_number_is_not_prefilled(flow: Flow, hint: str) -> None:
    auth = flow.request(login_hint=hint)
    page = flow.follow(flow.start(auth)).get_data(as_text=True)
    assert 'id="login-form"' in page
    assert hint not in page


def test_a_login_hint_prefills_the_id_number(flow: Flow) -> None:
    page = flow.follow(flow.start(flow.request(login_hint=LOA2[0]))).get_data(as_text=True)
    assert f'value="{LOA2[0]}"' in page


@pytest.mark.parametrize("name", ["vn_id_number", "vn_old_id_number"])
def test_the_id_number_claims_cannot_be_asked_for_one_by_one(flow: Flow, name: str) -> None:
    auth = flow.request(scope="openid", claims=json.dumps({"userinfo": {name: None},
                                                           "id_token": {name: None}}))
    flow.authorize(auth)
    body = flow.redeem(auth).json
    assert name not in flow.verify(body["id_token"], nonce="n-456")
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert name not in info.json


def test_a_post_authorization_with_parameters_in_the_body_works(flow: Flow) -> None:
    r = flow.start(flow.request(), method="POST")
    assert r.status_code == 302 and r.location.startswith("/login")


def test_an_oversized_authorization_post_is_413(flow: Flow) -> None:
    r = flow.browser.post("/authorize", data={"state": "s" * 70_000})
    assert r.status_code == 413


def test_a_repeated_consent_decision_is_refused(flow: Flow) -> None:
    from werkzeug.datastructures import MultiDict

    from tests.service.flow import csrf_of

    auth = flow.request()
    flow.follow(flow.start(auth))
    flow.submit_login(*LOA2, auth.req_id)
    page = flow.browser.get("/consent", query_string={"req": auth.req_id})
    r = flow.browser.post("/consent", data=MultiDict([
        ("csrf_token", csrf_of(page.get_data(as_text=True))), ("req", auth.req_id),
        ("decision", "approve"), ("decision", "deny")]))
    assert r.status_code == 400
    assert b'id="error-code">invalid_request' in r.data
    assert flow.app.extensions["eid"].durable.consent(LOA2[0], HCM.client_id) is None
