"""A store that cannot be reached: 503 ``temporarily_unavailable``, in the form each caller
reads (RFC 6749 §4.1.2.1 redirect, JSON for portals' back ends, a page for browsers)."""

from __future__ import annotations

import pytest
from flask import Flask

from service.par import REQUEST_URI_PREFIX
from tests.service.flow import HCM, LOA2, Flow, csrf_of, query
from tests.service.stores import break_store


def assert_json_503(r: object) -> None:
    from werkzeug.test import TestResponse

    assert isinstance(r, TestResponse)
    assert r.status_code == 503, r.get_data(as_text=True)
    assert r.json is not None and r.json["error"] == "temporarily_unavailable"
    assert r.headers["Retry-After"] == "5"
    assert r.headers["Cache-Control"] == "no-store"
    assert "hunter2" not in r.get_data(as_text=True)


def test_authorize_sends_the_portal_temporarily_unavailable_once_the_client_is_trusted(
        app: Flask, flow: Flow) -> None:
    break_store(app, "ephemeral")  # the pending request cannot be saved
    auth = flow.request()
    r = flow.start(auth)
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri)
    assert query(r.location) == {"error": "temporarily_unavailable",
                                 "error_description": query(r.location)["error_description"],
                                 "state": "st-123", "iss": flow.issuer}
    assert "hunter2" not in r.location


def test_an_outage_before_the_client_is_trusted_is_an_error_page_not_a_redirect(
        app: Flask, flow: Flow) -> None:
    break_store(app, "ephemeral")  # the pushed request (and its client) is read from there
    r = flow.browser.get("/authorize", query_string={
        "client_id": HCM.client_id, "request_uri": f"{REQUEST_URI_PREFIX}{'a' * 43}"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert "temporarily_unavailable" in r.get_data(as_text=True)
    assert "hunter2" not in r.get_data(as_text=True)


def test_the_token_endpoint_answers_json_503_with_retry_after(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    break_store(app, "ephemeral")
    assert_json_503(flow.redeem(auth))


def test_the_code_survives_an_outage_at_the_token_endpoint(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    working = app.extensions["eid"]
    break_store(app, "ephemeral")
    assert_json_503(flow.redeem(auth))
    app.extensions["eid"] = working  # the store is back: no restart, the code still works
    assert flow.redeem(auth).status_code == 200


def test_userinfo_answers_json_503_when_the_registry_is_down(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    access = flow.redeem(auth).json["access_token"]  # type: ignore[index]
    break_store(app, "registry")
    r = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert_json_503(r)


def test_the_login_screen_is_an_error_page_with_retry_after(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.start(auth)
    page = flow.browser.get("/login", query_string={"req": auth.req_id})
    assert page.status_code == 200
    break_store(app, "ephemeral")
    r = flow.browser.post("/login", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "req": auth.req_id or "",
        "id_number": LOA2[0], "password": LOA2[1]})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.mimetype == "text/html"
    assert "temporarily_unavailable" in r.get_data(as_text=True)


def test_a_consent_that_cannot_be_stored_goes_back_to_the_portal(app: Flask, flow: Flow
                                                                 ) -> None:
    auth = flow.request()
    flow.follow(flow.start(auth))
    r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    assert b'id="consent-form"' in r.data and auth.req_id is not None
    page = flow.browser.get("/consent", query_string={"req": auth.req_id})
    break_store(app, "durable")
    r = flow.browser.post("/consent", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "req": auth.req_id,
        "decision": "approve"})
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri)
    assert query(r.location)["error"] == "temporarily_unavailable"


@pytest.mark.parametrize("store", ["ephemeral", "durable"])
def test_a_corrupt_record_is_a_server_error_not_an_outage(app: Flask, flow: Flow,
                                                          store: str) -> None:
    auth = flow.request()
    flow.authorize(auth)
    break_store(app, store, code="corrupt_record")
    r = flow.redeem(auth)
    assert r.status_code == 500
    assert r.json is not None and r.json["error"] == "server_error"
    assert "Retry-After" not in r.headers
