"""RP-initiated logout: registered post-logout redirect URIs only, confirmation when unsure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from freezegun import freeze_time

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


# RP-Initiated Logout 1.0, checked clause by clause.

def _state_field(html: str) -> str:
    match = re.search(r'name="state" value="([^"]*)"', html)
    assert match
    return match.group(1)


def test_an_expired_id_token_hint_is_still_a_hint(flow: Flow) -> None:
    # §4: the OP should accept an ID token as a hint even when its exp has passed.
    with freeze_time() as clock:
        hint = _signed_in(flow)
        clock.tick(3600)  # the ID token (10 minutes) is long expired; the session is not
        r = flow.browser.get("/end-session", query_string={
            "id_token_hint": hint, "post_logout_redirect_uri": _AFTER})
        assert r.status_code == 302 and r.location.startswith(_AFTER)
        assert not _signed_in_now(flow)


def test_state_survives_the_confirmation(flow: Flow) -> None:
    _signed_in(flow)
    page = flow.browser.get("/end-session", query_string={
        "client_id": HCM.client_id, "post_logout_redirect_uri": _AFTER, "state": "s-42"})
    html = page.get_data(as_text=True)
    assert _state_field(html) == "s-42"
    r = flow.browser.post("/end-session/confirm", data={
        "csrf_token": csrf_of(html), "client_id": HCM.client_id,
        "post_logout_redirect_uri": _AFTER, "state": _state_field(html)})
    assert query(r.location)["state"] == "s-42"  # §3: state passed back unchanged


def test_a_hint_of_another_session_asks_for_confirmation(flow: Flow) -> None:
    # §6: a logout request not authenticated for this session must not end it silently.
    other = Flow(flow.app)
    foreign_hint = _signed_in(other)
    _signed_in(flow)
    r = flow.browser.get("/end-session", query_string={"id_token_hint": foreign_hint})
    assert r.status_code == 200 and b'id="logout-form"' in r.data
    assert _signed_in_now(flow)


def test_confirmation_without_csrf_token_is_refused(flow: Flow) -> None:
    _signed_in(flow)
    r = flow.browser.post("/end-session/confirm", data={"client_id": HCM.client_id})
    assert r.status_code in (400, 403)
    assert _signed_in_now(flow)


def test_a_client_id_contradicting_the_hint_is_an_error(flow: Flow) -> None:
    hint = _signed_in(flow)  # issued to HCM
    r = flow.browser.get("/end-session", query_string={
        "id_token_hint": hint, "client_id": NATIONAL.client_id})
    assert r.status_code == 400 and r.location is None
    assert _signed_in_now(flow)


@pytest.mark.parametrize("method", ["GET", "POST"])  # §2: both must be supported
def test_both_methods_end_the_session(flow: Flow, method: str) -> None:
    params = {"id_token_hint": _signed_in(flow), "post_logout_redirect_uri": _AFTER}
    r = flow.browser.post("/end-session", data=params) if method == "POST" \
        else flow.browser.get("/end-session", query_string=params)
    assert r.status_code == 302 and r.location.startswith(_AFTER)
    assert not _signed_in_now(flow)


def test_ui_locales_chooses_the_language_of_the_page(flow: Flow) -> None:
    _signed_in(flow)
    r = flow.browser.get("/end-session", query_string={"client_id": HCM.client_id,
                                                       "ui_locales": "en vi"})
    assert b'<html lang="en">' in r.data


def test_a_repeated_parameter_is_an_error(flow: Flow) -> None:
    hint = _signed_in(flow)
    r = flow.browser.get(f"/end-session?id_token_hint={hint}&id_token_hint={hint}")
    assert r.status_code == 400
    assert _signed_in_now(flow)
