"""RP-initiated logout: registered post-logout redirect URIs only, confirmation when unsure."""

from __future__ import annotations

from typing import Any

from tests.service.flow import HCM, NATIONAL, Flow, csrf_of, query

_AFTER = "http://127.0.0.1:5001/"  # HCM's registered post_logout_redirect_uri


def _signed_in(flow: Flow) -> str:
    auth = flow.request()
    flow.authorize(auth)
    id_token: str = flow.redeem(auth).json["id_token"]
    return id_token


def _signed_in_now(flow: Flow) -> bool:
    return flow.browser.get("/my-data").status_code == 200


def test_logout_with_the_sessions_id_token_goes_back_to_the_portal(flow: Flow) -> None:
    hint = _signed_in(flow)
    r = flow.browser.get("/end-session", query_string={
        "id_token_hint": hint, "post_logout_redirect_uri": _AFTER, "state": "bye"})
    assert r.status_code == 302 and r.location.startswith(_AFTER + "?")
    assert query(r.location)["state"] == "bye"
    assert not _signed_in_now(flow)


def test_logout_without_hint_asks_for_confirmation(flow: Flow) -> None:
    _signed_in(flow)
    r = flow.browser.get("/end-session", query_string={
        "client_id": HCM.client_id, "post_logout_redirect_uri": _AFTER})
    assert r.status_code == 200 and b'id="logout-form"' in r.data
    assert _signed_in_now(flow)
    confirm = flow.browser.post("/end-session/confirm", data={
        "csrf_token": csrf_of(r.get_data(as_text=True)), "client_id": HCM.client_id,
        "post_logout_redirect_uri": _AFTER, "state": ""})
    assert confirm.status_code == 302 and confirm.location.startswith(_AFTER)
    assert not _signed_in_now(flow)


def test_unregistered_post_logout_redirect_uri_is_an_error_page(flow: Flow) -> None:
    hint = _signed_in(flow)
    cases: list[dict[str, Any]] = [
        {"id_token_hint": hint, "post_logout_redirect_uri": "http://127.0.0.1:5001/evil"},
        {"post_logout_redirect_uri": _AFTER},  # no client named at all
        {"client_id": NATIONAL.client_id, "post_logout_redirect_uri": _AFTER},
        {"id_token_hint": "a.b.c"},
    ]
    for params in cases:
        r = flow.browser.get("/end-session", query_string=params)
        assert r.status_code == 400 and r.location is None, params
    assert _signed_in_now(flow)


def test_logout_without_redirect_shows_a_signed_out_page(flow: Flow) -> None:
    r = flow.browser.get("/end-session")
    assert r.status_code == 200 and b'id="signed-out"' in r.data
