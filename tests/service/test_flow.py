"""The whole authorization code flow through Flask's test client."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from eid.verify import parse_jws
from tests.service.flow import HCM, LOA1, LOA2, NATIONAL, Flow, Portal, csrf_of, query


@pytest.mark.parametrize(("portal", "alg"), [(HCM, "ES256"), (NATIONAL, "RS256")],
                         ids=["client_secret_basic", "client_secret_post"])
def test_code_flow_to_verified_id_token_and_userinfo(flow: Flow, portal: Portal,
                                                      alg: str) -> None:
    auth = flow.request(portal, scope="openid profile id_number")
    result = flow.authorize(auth, LOA2)
    assert auth.response is not None
    assert auth.response.location.startswith(portal.redirect_uri + "?")
    assert result["state"] == "st-123"
    assert result["iss"] == flow.issuer  # RFC 9207
    r = flow.redeem(auth, portal)
    assert r.status_code == 200, r.json
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "id_number openid profile"
    assert parse_jws(body["id_token"]).header["alg"] == alg
    claims = flow.verify(body["id_token"], portal, nonce="n-456",
                         access_token=body["access_token"], min_acr="LoA2")
    assert claims["acr"] == "LoA2"
    assert claims["amr"] == ["pwd"]
    assert {"auth_time", "sid", "at_hash"} <= set(claims)
    assert "refresh_token" not in body  # no offline_access
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    info = flow.api.get("/userinfo", headers=bearer)
    assert info.status_code == 200
    assert info.headers["Cache-Control"] == "no-store"
    assert info.json["sub"] == claims["sub"]
    assert info.json["name"] == "Nguyễn Văn Hùng"
    assert info.json["vn_id_number"] == LOA2[0]
    assert flow.api.post("/userinfo", headers=bearer).json == info.json
    assert flow.api.post("/userinfo", data={"access_token": body["access_token"]}).json == \
        info.json


def test_userinfo_returns_exactly_the_consented_attributes(flow: Flow) -> None:
    auth = flow.request(scope="openid profile")
    flow.authorize(auth)
    token = flow.redeem(auth).json["access_token"]
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).json
    assert set(info) == {"sub", "name", "birthdate", "gender"}


def test_standard_scopes_map_onto_the_catalogue(flow: Flow) -> None:
    auth = flow.request(scope="openid email phone address")
    flow.authorize(auth)
    token = flow.redeem(auth).json["access_token"]
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).json
    assert "address" in info and "formatted" in info["address"]
    assert "vn_id_number" not in info and "name" not in info


def test_subjects_are_pairwise_per_sector_and_stable(flow: Flow) -> None:
    subs = []
    for portal in (HCM, NATIONAL, HCM):
        auth = flow.request(portal)
        flow.authorize(auth)
        subs.append(flow.verify(flow.redeem(auth, portal).json["id_token"], portal)["sub"])
    assert subs[0] == subs[2]
    assert subs[0] != subs[1]
    assert LOA2[0] not in subs


def test_remembered_consent_is_reused_and_prompt_consent_asks_again(flow: Flow) -> None:
    flow.authorize(flow.request())
    again = flow.request()
    r = flow.follow(flow.start(again))
    assert r.status_code == 302 and "code" in query(r.location)  # no screen at all
    forced = flow.request(prompt="consent")
    r = flow.follow(flow.start(forced))
    assert b'id="consent-form"' in r.data


def test_consent_screen_shows_portal_purpose_and_attribute_labels(flow: Flow) -> None:
    auth = flow.request(scope="openid profile residence")
    r = flow.follow(flow.start(auth))
    r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    html = r.get_data(as_text=True)
    assert "Cổng Dịch vụ công Thành phố Hồ Chí Minh (demo)" in html
    assert "Điền sẵn tờ khai thủ tục hành chính" in html
    assert "Nơi thường trú" in html and "Ngày, tháng, năm sinh" in html


def test_denying_consent_sends_access_denied_to_the_portal(flow: Flow) -> None:
    result = flow.authorize(flow.request(), consent="deny")
    assert result["error"] == "access_denied"
    assert result["state"] == "st-123" and result["iss"] == flow.issuer


def test_authorization_request_by_post(flow: Flow) -> None:
    auth = flow.request()
    r = flow.follow(flow.start(auth, method="POST"))
    assert b'id="login-form"' in r.data


def test_unknown_parameters_are_ignored(flow: Flow) -> None:
    result = flow.authorize(flow.request(extra_thing="x", display="popup", claims_locales="vi"))
    assert "code" in result


def test_request_without_nonce_succeeds(flow: Flow) -> None:
    auth = flow.request(nonce=None)  # type: ignore[arg-type]
    flow.authorize(auth)
    claims = flow.verify(flow.redeem(auth).json["id_token"])
    assert "nonce" not in claims


def test_prompt_login_forces_a_new_login(flow: Flow) -> None:
    flow.authorize(flow.request())
    auth = flow.request(prompt="login")
    r = flow.follow(flow.start(auth))
    assert b'id="login-form"' in r.data
    result = flow.authorize(flow.request(prompt="login"))
    assert "code" in result


def test_prompt_none_with_session_and_consent_returns_a_code(flow: Flow) -> None:
    flow.authorize(flow.request())
    r = flow.start(flow.request(prompt="none"))
    assert r.status_code == 302 and "code" in query(r.location)


def test_max_age_reauthenticates_and_sets_auth_time(flow: Flow) -> None:
    with freeze_time() as frozen:
        first = flow.request()
        flow.authorize(first)
        t0 = flow.verify(flow.redeem(first).json["id_token"])["auth_time"]
        frozen.tick(5)
        r = flow.start(flow.request(max_age="10000"))
        assert "code" in query(r.location)
        r = flow.follow(flow.start(flow.request(max_age="1")))
        assert b'id="login-form"' in r.data
        auth = flow.request(max_age="1")
        flow.authorize(auth)
        claims = flow.verify(flow.redeem(auth).json["id_token"], max_age=1)
        assert claims["auth_time"] >= t0 + 5


def test_login_hint_prefills_the_id_number(flow: Flow) -> None:
    r = flow.follow(flow.start(flow.request(login_hint=LOA1[0])))
    assert f'value="{LOA1[0]}"'.encode() in r.data


def test_ui_locales_english_and_vietnamese_default(flow: Flow) -> None:
    r = flow.follow(flow.start(flow.request(ui_locales="en-US vi")))
    assert b"Personal identification number" in r.data and b'lang="en"' in r.data
    other = Flow(flow.app)
    r = other.follow(other.start(other.request()))
    assert "Số định danh cá nhân".encode() in r.data and b'lang="vi"' in r.data
    switched = other.browser.get(r.request.path + "?" + r.request.query_string.decode()
                                 + "&lang=en")
    assert b"Sign in" in switched.data
    assert csrf_of(switched.get_data(as_text=True))


def test_id_token_hint_of_the_signed_in_citizen_skips_login(flow: Flow) -> None:
    first = flow.request()
    flow.authorize(first)
    id_token = flow.redeem(first).json["id_token"]
    r = flow.start(flow.request(prompt="none", id_token_hint=id_token))
    assert "code" in query(r.location)
    # Someone else signed in now: the hint no longer matches, so prompt=none fails.
    other = flow.request(prompt="login")
    flow.authorize(other, LOA1)
    r = flow.start(flow.request(prompt="none", id_token_hint=id_token))
    assert query(r.location)["error"] == "login_required"


def test_essential_claims_request_releases_the_claim(flow: Flow) -> None:
    claims = {"userinfo": {"vn_permanent_residence": {"essential": True}},
              "id_token": {"birthdate": {"essential": True}}}
    auth = flow.request(scope="openid", claims=json.dumps(claims))
    flow.authorize(auth)
    body = flow.redeem(auth).json
    assert "birthdate" in flow.verify(body["id_token"])
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert "vn_permanent_residence" in info.json and "name" not in info.json


def test_acr_values_loa1_is_met_by_a_loa2_account(flow: Flow) -> None:
    auth = flow.request(acr_values="LoA1")
    flow.authorize(auth)
    assert flow.verify(flow.redeem(auth).json["id_token"], min_acr="LoA1")["acr"] == "LoA2"


def test_every_scope_of_the_portal_at_once(flow: Flow) -> None:
    scopes = "openid profile email phone address id_number residence household family origin " \
             "contact marital_status blood_type"
    auth = flow.request(scope=scopes)
    flow.authorize(auth)
    body = flow.redeem(auth).json
    assert body["scope"].split() == sorted(scopes.split())
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json["vn_household_relationship"] == "head"
    assert len(info.json["vn_household_members"]) > 1
    assert "vn_children" in info.json


def test_my_shared_data_requires_login_and_lists_portals(flow: Flow) -> None:
    r = flow.browser.get("/my-data")
    assert r.status_code == 302 and r.location.startswith("/login")
    flow.authorize(flow.request())
    page = flow.browser.get("/my-data?lang=en")
    assert b"My shared data" in page.data and b'data-client="cong-dvc-hcm"' in page.data
    assert "Nguyễn Văn Hùng".encode() in page.data
    logout = flow.browser.post("/logout", data={"csrf_token": csrf_of(
        page.get_data(as_text=True))})
    assert logout.status_code == 302
    assert flow.browser.get("/my-data").status_code == 302


def test_signing_in_without_a_portal_lands_on_my_shared_data(flow: Flow) -> None:
    r = flow.submit_login(*LOA2, None)
    assert r.status_code == 302 and r.location == "/my-data"


def test_unknown_and_unregistered_scopes_are_dropped(flow: Flow) -> None:
    auth = flow.request(NATIONAL, scope="openid profile frobnicate residence")
    flow.authorize(auth)
    assert flow.redeem(auth, NATIONAL).json["scope"] == "openid profile"


def test_claims_request_cannot_reach_beyond_the_clients_scopes(flow: Flow) -> None:
    claims = {"userinfo": {"vn_permanent_residence": {"essential": True}, "name": None}}
    auth = flow.request(NATIONAL, scope="openid", claims=json.dumps(claims))
    flow.authorize(auth)
    token = flow.redeem(auth, NATIONAL).json["access_token"]
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).json
    assert "vn_permanent_residence" not in info  # the national demo has no residence scope
    assert info["name"] == "Nguyễn Văn Hùng"


def test_consent_screen_in_english(flow: Flow) -> None:
    auth = flow.request(scope="openid profile residence", ui_locales="en")
    flow.follow(flow.start(auth))
    r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    assert b"Permanent residence" in r.data and b"Approve" in r.data
    assert b"Ho Chi Minh City Public Service Portal (demo)" in r.data


def test_the_id_number_is_released_only_under_its_scope(flow: Flow) -> None:
    claims = {"userinfo": {"vn_id_number": {"essential": True}},
              "id_token": {"vn_id_number": {"essential": True}}}
    auth = flow.request(scope="openid profile", claims=json.dumps(claims))
    flow.authorize(auth)
    body = flow.redeem(auth).json
    assert "vn_id_number" not in flow.verify(body["id_token"])
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert "vn_id_number" not in info.json and LOA2[0] not in info.get_data(as_text=True)
