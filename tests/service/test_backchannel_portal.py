"""Back-channel logout end to end: the login service tells the demo portal (``flask_eid``),
which is down at first and then up, and the portal's own session ends.

The test plan's "back-channel logout reaching a portal that is down and then up".
Both run on loopback; the portal fetches keys and tokens from the service over HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask

from eid.datafiles import fixture_path
from service import create_app
from service.backchannel import backchannel_sender
from service.config import Settings
from service.portal import PortalSettings, create_portal_app
from service.serving import Server
from tests.servers import free_port
from tests.service.flow import HCM, Authorization, Flow, csrf_of, query


@dataclass
class Stack:
    service: Flask
    portal: Flask
    portal_port: int


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    portal_port = free_port()  # nothing listens here yet: the portal is down
    portal_url = f"http://127.0.0.1:{portal_port}"
    data = json.loads(fixture_path("clients.json").read_text(encoding="utf-8"))
    for client in data["clients"]:
        if client["client_id"] == HCM.client_id:
            client["redirect_uris"] = [portal_url + "/auth/callback"]
            client["post_logout_redirect_uris"] = [portal_url + "/"]
            client["backchannel_logout_uri"] = portal_url + "/auth/backchannel-logout"
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps(data), encoding="utf-8")
    with Server() as login_server:
        service = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
            issuer=login_server.url, clients_file=clients, backchannel_thread=False)})
        login_server.mount(service).start()
        portal = create_portal_app(settings=PortalSettings(
            issuer=login_server.url, public_url=portal_url, instance=tmp_path / "portal"))
        yield Stack(service, portal, portal_port)


def test_a_portal_that_is_down_and_then_up_ends_its_session(stack: Stack) -> None:
    flow = Flow(stack.service)
    at_portal = stack.portal.test_client()
    # The citizen signs in at the portal (the browser carries the redirects).
    start = at_portal.get("/auth/login?next=/filings")
    auth = Authorization(query(start.location), verifier="")
    callback = flow.authorize(auth)
    assert urlsplit(auth.response.location).path == "/auth/callback"  # type: ignore[union-attr]
    at_portal.get("/auth/callback?" + urlencode(callback))
    assert at_portal.get("/filings").status_code == 200  # signed in at the portal
    # ... and signs out at the login service.
    page = flow.browser.get("/login")
    flow.browser.post("/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    with stack.service.app_context():
        sender = backchannel_sender()
    retry = sender.deliver_due(time.time())  # the portal is down: connection refused
    assert retry is not None
    assert at_portal.get("/filings").status_code == 200  # not told yet
    with Server(port=stack.portal_port) as portal_server:  # the portal comes back up
        portal_server.mount(stack.portal).start()
        assert sender.deliver_due(retry) is None  # delivered: the queue is empty
    signed_out = at_portal.get("/filings")
    # Ended: home, saying why (not silently a fresh login).
    assert signed_out.status_code == 302 and signed_out.location == "/"
    assert "đăng xuất khỏi dịch vụ đăng nhập" in at_portal.get("/").get_data(as_text=True)
