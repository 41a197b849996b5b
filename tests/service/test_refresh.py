"""Refresh tokens (offline_access only), rotation, reuse detection, revocation."""

from __future__ import annotations

from typing import Any

from tests.service.flow import HCM, NATIONAL, Flow, csrf_of


def _offline(flow: Flow) -> dict[str, Any]:
    auth = flow.request(scope="openid profile offline_access")
    flow.authorize(auth)
    body: dict[str, Any] = flow.redeem(auth).json
    return body


def _refresh(flow: Flow, token: str, **extra: str) -> Any:
    return flow.token({"grant_type": "refresh_token", "refresh_token": token, **extra})


def test_refresh_tokens_only_with_offline_access(flow: Flow) -> None:
    auth = flow.request(scope="openid profile")
    flow.authorize(auth)
    assert "refresh_token" not in flow.redeem(auth).json
    assert "refresh_token" in _offline(flow)


def test_offline_access_for_a_client_not_registered_for_it_is_dropped(flow: Flow) -> None:
    auth = flow.request(NATIONAL, scope="openid offline_access")
    flow.authorize(auth)
    body = flow.redeem(auth, NATIONAL).json
    assert "refresh_token" not in body and body["scope"] == "openid"


def test_refresh_rotates_and_reuse_revokes_the_whole_grant(flow: Flow) -> None:
    first = _offline(flow)
    r = _refresh(flow, first["refresh_token"])
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    second = r.json
    assert second["refresh_token"] != first["refresh_token"]
    claims = flow.verify(second["id_token"], access_token=second["access_token"])
    assert "nonce" not in claims
    # The rotated-out token comes back: the grant dies, with every token from it.
    reuse = _refresh(flow, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    assert _refresh(flow, second["refresh_token"]).json["error"] == "invalid_grant"
    assert flow.introspect(second["access_token"]) == {"active": False}
    assert flow.introspect(first["access_token"]) == {"active": False}


def test_refresh_with_narrower_scope_and_wider_scope(flow: Flow) -> None:
    body = _offline(flow)
    narrower = _refresh(flow, body["refresh_token"], scope="openid")
    assert narrower.json["scope"] == "openid"
    wider = _refresh(flow, narrower.json["refresh_token"], scope="openid residence")
    assert wider.json["error"] == "invalid_scope"
    # The refused request did not rotate the token: using it again is no replay.
    assert _refresh(flow, narrower.json["refresh_token"]).status_code == 200
    # Now rotated out, it is a replay whatever scope it asks for: the grant dies.
    replay = _refresh(flow, narrower.json["refresh_token"], scope="openid residence")
    assert replay.json["error"] == "invalid_grant"
    assert flow.introspect(narrower.json["access_token"]) == {"active": False}


def test_refresh_token_of_another_client_is_refused(flow: Flow) -> None:
    body = _offline(flow)
    r = flow.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                   NATIONAL)
    assert r.json["error"] == "invalid_grant"
    assert _refresh(flow, body["refresh_token"]).status_code == 200  # not revoked by that


def test_revocation_endpoint_revokes_refresh_and_access_tokens(flow: Flow) -> None:
    body = _offline(flow)
    auth, _ = flow.client_auth(HCM)
    r = flow.api.post("/revoke", data={"token": body["refresh_token"]}, headers=auth)
    assert r.status_code == 200
    assert _refresh(flow, body["refresh_token"]).json["error"] == "invalid_grant"
    assert flow.introspect(body["access_token"]) == {"active": False}
    other = _offline(flow)
    flow.api.post("/revoke", data={"token": other["access_token"],
                                   "token_type_hint": "access_token"}, headers=auth)
    assert flow.introspect(other["access_token"]) == {"active": False}
    assert flow.api.post("/revoke", data={"token": "unknown"}, headers=auth).status_code == 200
    assert flow.api.post("/revoke", data={"token": "x"}).status_code == 401


def test_introspection_describes_live_tokens_to_their_client_only(flow: Flow) -> None:
    body = _offline(flow)
    info = flow.introspect(body["access_token"])
    assert info["active"] is True and info["client_id"] == HCM.client_id
    assert info["scope"] == "offline_access openid profile"
    assert flow.introspect(body["refresh_token"])["token_type"] == "refresh_token"
    assert flow.introspect(body["access_token"], NATIONAL) == {"active": False}


def test_revoking_consent_on_my_shared_data_revokes_refresh_tokens(flow: Flow) -> None:
    body = _offline(flow)
    page = flow.browser.get("/my-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Cổng Dịch vụ công Thành phố Hồ Chí Minh (demo)" in html
    r = flow.browser.post("/my-data/revoke", data={"csrf_token": csrf_of(html),
                                                   "client_id": HCM.client_id})
    assert r.status_code == 302
    assert b'data-client="cong-dvc-hcm"' not in flow.browser.get(r.location).data
    assert _refresh(flow, body["refresh_token"]).json["error"] == "invalid_grant"
    assert flow.introspect(body["access_token"]) == {"active": False}
    # The next login asks for consent again.
    again = flow.request(scope="openid profile offline_access")
    r = flow.follow(flow.start(again))
    assert b'id="consent-form"' in r.data
