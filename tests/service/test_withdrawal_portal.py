"""Revoking a consent at the login service ends the demo portal's session at its next
request, with a word of why (Back-Channel Logout 1.0 §2.4: a logout token naming the
citizen's ``sub`` and no ``sid`` ends every session of theirs at the portal).

Both servers on loopback; the portal fetches keys and tokens from the service over HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.verify.jws import parse_jws
from service import backchannel, create_app
from service.backchannel import backchannel_sender
from service.config import Settings
from service.portal import PortalSettings, create_portal_app
from service.provider import provider
from service.serving import Server
from service.stack import local_portal
from tests.servers import free_port
from tests.service.flow import HCM, Authorization, Flow, csrf_of, query


@dataclass
class Stack:
    service: Flask
    portal: Flask


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    with Server() as login_server, Server(port=free_port()) as portal_server:
        portal = create_portal_app(settings=PortalSettings(
            issuer=login_server.url, public_url=portal_server.url, instance=tmp_path / "p"))
        service = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
            issuer=login_server.url, backchannel_thread=False,
            local_portal=local_portal(portal))})
        login_server.mount(service).start()
        portal_server.mount(portal).start()
        yield Stack(service, portal)


def _sign_in(stack: Stack, flow: Flow) -> FlaskClient:
    at_portal = stack.portal.test_client()
    start = at_portal.get("/auth/login?next=/filings")
    callback = flow.authorize(Authorization(query(start.location), verifier=""))
    at_portal.get("/auth/callback?" + urlencode(callback))
    assert at_portal.get("/filings").status_code == 200  # signed in at the portal
    return at_portal


def _revoke(stack: Stack, flow: Flow) -> None:
    _revoke_only(flow)
    with stack.service.app_context():
        assert backchannel_sender().deliver_due(time.time()) is None  # delivered


def test_revoking_ends_the_portal_session_with_a_message(stack: Stack) -> None:
    flow = Flow(stack.service)
    at_portal = _sign_in(stack, flow)
    _revoke(stack, flow)
    ended = at_portal.get("/filings")
    assert ended.status_code == 302 and ended.location == "/"  # not a silent new login
    home = at_portal.get("/").get_data(as_text=True)
    assert 'id="session-ended"' in home and "thu hồi quyền truy cập" in home
    assert 'id="login"' in home  # signed out
    assert 'id="session-ended"' not in at_portal.get("/").get_data(as_text=True)  # said once


def test_every_session_of_the_citizen_at_the_portal_ends(stack: Stack) -> None:
    flow = Flow(stack.service)
    first, second = _sign_in(stack, flow), _sign_in(stack, flow)  # two browsers
    _revoke(stack, flow)
    for browser in (first, second):
        assert browser.get("/filings").location == "/"


def test_the_logout_token_names_no_session(stack: Stack, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    flow = Flow(stack.service)
    _sign_in(stack, flow)
    sent: list[dict[str, object]] = []
    real = backchannel.logout_token

    def spy(*args: object) -> str:
        token = real(*args)  # type: ignore[arg-type]
        sent.append(json.loads(parse_jws(token).payload))
        return token

    monkeypatch.setattr(backchannel, "logout_token", spy)
    _revoke(stack, flow)
    assert len(sent) == 1 and "sid" not in sent[0] and sent[0]["sub"]


def test_a_portal_without_a_back_channel_uri_gets_no_logout_token(flow: Flow) -> None:
    flow.authorize(flow.request())  # cong-dvc-hcm as clients.json registers it: no URI
    _revoke_only(flow)
    with flow.app.app_context():
        assert provider().durable.next_logout_due() is None  # nothing queued


def _revoke_only(flow: Flow) -> None:
    page = flow.browser.get("/my-data").get_data(as_text=True)
    assert flow.browser.post("/my-data/revoke", data={
        "csrf_token": csrf_of(page), "client_id": HCM.client_id}).status_code == 302
