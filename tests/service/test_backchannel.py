"""Back-channel logout (OIDC Back-Channel Logout 1.0) from the login service's outbox.

The sender is driven by hand (``deliver_due(now)``, the thread off) except where
the test is about the thread: the citizen not waiting, a restart picking the
queue up again. Portals are real loopback HTTP servers.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask import Flask

from eid.datafiles import fixture_path
from eid.verify import BACKCHANNEL_LOGOUT_EVENT, verify_logout_token
from service import create_app
from service.backchannel import BackchannelSender, RetryPolicy, backchannel_sender, install_sender
from service.config import Settings
from service.serving import Server
from tests.servers import free_port, redis_server
from tests.service.flow import HCM, LOA1, NATIONAL, TEST_CLIENT, Flow, Portal, csrf_of


@dataclass
class Receiver:
    """A portal's back-channel endpoint: records each POST and answers ``status``."""

    status: int = 200
    posts: list[dict[str, Any]] = field(default_factory=list)
    gate: threading.Event | None = None  # when set up, each request waits for it
    received: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.posts.append({"path": environ["PATH_INFO"], "method": environ["REQUEST_METHOD"],
                           "type": environ.get("CONTENT_TYPE"),
                           "form": {k: v[0] for k, v in parse_qs(body.decode()).items()}})
        self.received.set()
        if self.gate is not None:
            self.gate.wait(60)
        start_response(f"{self.status} X", [("Content-Length", "0")])
        self.answered.set()
        return [b""]

    def tokens(self, path: str = "/hcm") -> list[str]:
        return [p["form"]["logout_token"] for p in self.posts if p["path"] == path]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def receiver(port: int) -> Iterator[Receiver]:
    handler = Receiver()
    with Server(port=port) as server:
        server.mount(handler).start()
        yield handler
    if handler.gate is not None:
        handler.gate.set()


def _clients_file(tmp_path: Path, port: int) -> Path:
    """The demo portals, HCM and the national portal with back-channel URIs on ``port``."""
    data = json.loads(fixture_path("clients.json").read_text(encoding="utf-8"))
    uris = {HCM.client_id: "/hcm", NATIONAL.client_id: "/national"}
    for client in data["clients"]:
        client["backchannel_logout_uri"] = f"http://127.0.0.1:{port}{uris[client['client_id']]}"
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def bc_settings(settings: Settings, tmp_path: Path, port: int) -> Settings:
    return settings.with_(clients_file=_clients_file(tmp_path, port), test_mode=True,
                          backchannel_thread=False)


@pytest.fixture
def bc_app(bc_settings: Settings) -> Flask:
    return create_app({"TESTING": True, "EID_SETTINGS": bc_settings})


def _sender(app: Flask) -> BackchannelSender:
    with app.app_context():
        return backchannel_sender()


def _sign_in(flow: Flow, portal: Portal = HCM, who: tuple[str, str] | None = None) -> str:
    auth = flow.request(portal, scope="openid")
    if who is None:
        flow.authorize(auth)
    else:
        flow.authorize(auth, who)
    token: str = flow.redeem(auth, portal).json["id_token"]
    return token


def _sign_out(flow: Flow) -> None:
    """The service's own "sign out" button (my data, login screens)."""
    page = flow.browser.get("/login")
    r = flow.browser.post("/logout", data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302


def _header(token: str) -> dict[str, Any]:
    segment = token.split(".", maxsplit=1)[0]
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    decoded: dict[str, Any] = json.loads(raw)
    return decoded


def _queued(app: Flask) -> bool:
    return app.extensions["eid"].durable.next_logout_due() is not None


def test_the_logout_token_is_what_the_portal_verifies(bc_app: Flask, receiver: Receiver) -> None:
    flow = Flow(bc_app)
    id_token = _sign_in(flow)
    id_claims = flow.verify(id_token)
    r = flow.browser.get("/end-session", query_string={"id_token_hint": id_token})
    assert b'id="signed-out"' in r.data
    now = time.time()
    assert _sender(bc_app).deliver_due(now) is None  # delivered: nothing left
    [post] = receiver.posts
    assert post["method"] == "POST" and post["path"] == "/hcm"
    assert post["type"] == "application/x-www-form-urlencoded"
    token = post["form"]["logout_token"]
    claims = verify_logout_token(token, issuer=flow.issuer, audience=HCM.client_id,
                                 jwks=flow.api.get("/jwks").json, now=now)
    assert claims["sid"] == id_claims["sid"] and claims["sub"] == id_claims["sub"]
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert claims["exp"] - claims["iat"] == 120
    assert _header(token)["typ"] == "logout+jwt"


def test_only_the_portals_of_the_ended_session_are_told(bc_app: Flask,
                                                      receiver: Receiver) -> None:
    mine, other = Flow(bc_app), Flow(bc_app)
    _sign_in(mine, HCM)
    _sign_in(other, NATIONAL)  # another browser, another session
    _sign_out(mine)
    _sender(bc_app).deliver_due(time.time())
    assert [p["path"] for p in receiver.posts] == ["/hcm"]


def test_every_portal_of_the_session_is_told_once(bc_app: Flask, receiver: Receiver) -> None:
    flow = Flow(bc_app)
    _sign_in(flow, HCM)
    _sign_in(flow, HCM)  # a second login at the same portal, same session
    _sign_in(flow, NATIONAL)
    _sign_out(flow)
    _sender(bc_app).deliver_due(time.time())
    assert sorted(p["path"] for p in receiver.posts) == ["/hcm", "/national"]


def test_a_portal_without_a_backchannel_uri_gets_nothing(bc_app: Flask,
                                                        receiver: Receiver) -> None:
    flow = Flow(bc_app)
    _sign_in(flow, TEST_CLIENT)  # fixtures/test-clients.json: no backchannel_logout_uri
    _sign_out(flow)
    assert not _queued(bc_app)
    assert _sender(bc_app).deliver_due(time.time()) is None
    assert receiver.posts == []


def test_signing_in_as_another_citizen_tells_the_first_ones_portals(
        bc_app: Flask, receiver: Receiver) -> None:
    flow = Flow(bc_app)
    _sign_in(flow, HCM)
    flow.submit_login(*LOA1, None)  # someone else signs in on this browser
    _sender(bc_app).deliver_due(time.time())
    assert [p["path"] for p in receiver.posts] == ["/hcm"]


def test_the_same_citizen_signing_in_again_keeps_the_portals_session(
        bc_app: Flask, receiver: Receiver) -> None:
    flow = Flow(bc_app)
    first = flow.verify(_sign_in(flow, HCM))
    again = flow.request(NATIONAL, scope="openid", prompt="login")
    flow.authorize(again)  # re-authentication: no logout for HCM
    flow.redeem(again, NATIONAL)
    assert not _queued(bc_app)
    _sign_out(flow)  # and the final sign-out still reaches the portal of the first login
    _sender(bc_app).deliver_due(time.time())
    tokens = receiver.tokens("/hcm")
    assert len(tokens) == 1 and len(receiver.tokens("/national")) == 1
    claims = verify_logout_token(tokens[0], issuer=flow.issuer, audience=HCM.client_id,
                                 jwks=flow.api.get("/jwks").json)
    assert claims["sid"] == first["sid"]


@pytest.mark.parametrize(("status", "retried"), [
    (200, False), (204, False),
    (400, False),  # §2.8: the portal refused the token; the same token again would not help
    (404, False),
    (408, True), (429, True), (500, True), (503, True),
])
def test_what_each_answer_means(status: int, retried: bool, bc_app: Flask,
                                receiver: Receiver) -> None:
    receiver.status = status
    flow = Flow(bc_app)
    _sign_in(flow)
    _sign_out(flow)
    now = time.time()
    next_due = _sender(bc_app).deliver_due(now)
    assert len(receiver.posts) == 1
    assert (next_due is not None) == retried


def test_a_portal_down_and_then_up_gets_the_logout(bc_app: Flask, port: int) -> None:
    """The test plan's "back-channel logout reaching a portal that is down and then up"."""
    flow = Flow(bc_app)
    _sign_in(flow)
    _sign_out(flow)
    sender = _sender(bc_app)
    t0 = time.time()
    first_retry = sender.deliver_due(t0)  # port closed: connection refused
    assert first_retry is not None and first_retry > t0
    second_retry = sender.deliver_due(first_retry)
    assert second_retry is not None and second_retry > first_retry
    receiver = Receiver()
    with Server(port=port) as server:  # the portal comes back
        server.mount(receiver).start()
        assert sender.deliver_due(second_retry - 0.01) == second_retry  # not due yet: not sent
        assert receiver.posts == []
        assert sender.deliver_due(second_retry) is None
    [token] = receiver.tokens()
    claims = verify_logout_token(token, issuer=flow.issuer, audience=HCM.client_id,
                                 jwks=flow.api.get("/jwks").json, now=second_retry)
    assert claims["iat"] == int(second_retry)  # signed for this attempt, not at logout


def test_each_attempt_signs_a_fresh_token(bc_app: Flask, receiver: Receiver) -> None:
    receiver.status = 503
    flow = Flow(bc_app)
    _sign_in(flow)
    _sign_out(flow)
    sender = _sender(bc_app)
    retry = sender.deliver_due(time.time())
    assert retry is not None
    receiver.status = 200
    assert sender.deliver_due(retry) is None
    jwks = flow.api.get("/jwks").json
    first, second = (verify_logout_token(t, issuer=flow.issuer, audience=HCM.client_id,
                                         jwks=jwks, now=retry) for t in receiver.tokens())
    assert first["jti"] != second["jti"] and first["iat"] < second["iat"]


def test_the_sender_gives_up_after_an_hour(bc_app: Flask, port: int) -> None:
    flow = Flow(bc_app)
    _sign_in(flow)
    _sign_out(flow)
    sender = _sender(bc_app)
    start = now = time.time()
    attempts = 0
    while now < start + 3600:  # port closed all along: every attempt fails
        due = sender.deliver_due(now)
        assert due is not None  # still queued within the hour
        now, attempts = due, attempts + 1
    assert 10 < attempts < 60  # backed off, not hammering, not one try per hour
    assert sender.deliver_due(now) is None  # the first attempt past the hour gives up
    assert not _queued(bc_app)


@pytest.mark.parametrize(("attempts", "jitter", "delay"), [
    (1, 0.0, 1.0), (1, 0.999, 1.999), (2, 0.0, 2.0), (3, 0.5, 6.0),
    (9, 0.0, 150.0), (50, 0.0, 150.0), (50, 1.0, 300.0),
])
def test_backoff_doubles_with_jitter_up_to_its_cap(attempts: int, jitter: float,
                                                   delay: float) -> None:
    assert RetryPolicy().delay(attempts, jitter) == pytest.approx(delay)


def test_the_citizen_does_not_wait_for_a_hanging_portal(bc_settings: Settings,
                                                        receiver: Receiver) -> None:
    app = create_app({"TESTING": True,
                      "EID_SETTINGS": bc_settings.with_(backchannel_thread=True)})
    # A read timeout far longer than the portal hangs: a logout that waited for the
    # delivery would only come back after the portal answered.
    sender = install_sender(app, app.extensions["eid"], policy=RetryPolicy(read_timeout=120))
    receiver.gate = threading.Event()
    flow = Flow(app)
    _sign_in(flow)
    try:
        _sign_out(flow)
        assert not receiver.answered.is_set()  # the logout is done; the portal has not answered
        assert receiver.received.wait(30)  # the delivery runs meanwhile, in the background
        receiver.gate.set()
        assert receiver.answered.wait(30)
        deadline = time.monotonic() + 30
        while _queued(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _queued(app)  # delivered and dropped
    finally:
        receiver.gate.set()
        sender.stop()


def test_the_queue_survives_a_restart(bc_settings: Settings, receiver: Receiver) -> None:
    first = create_app({"TESTING": True, "EID_SETTINGS": bc_settings})
    flow = Flow(first)
    _sign_in(flow)
    _sign_out(flow)
    assert receiver.posts == [] and _queued(first)  # the process "dies" with it queued
    first.extensions["eid"].durable.close()
    restarted = create_app({"TESTING": True,
                            "EID_SETTINGS": bc_settings.with_(backchannel_thread=True)})
    try:
        assert receiver.received.wait(30)  # the new process's sender picked it up by itself
        [token] = receiver.tokens()
        verify_logout_token(token, issuer=flow.issuer, audience=HCM.client_id,
                            jwks=restarted.test_client().get("/jwks").json)
    finally:
        _sender(restarted).stop()


def test_discovery_advertises_back_channel_logout(bc_app: Flask) -> None:
    meta = bc_app.test_client().get("/.well-known/openid-configuration").json
    assert meta["backchannel_logout_supported"] is True
    # Back-Channel Logout 1.0 §2.1: every logout token carries sid (checked above).
    assert meta["backchannel_logout_session_supported"] is True
    assert meta["end_session_endpoint"] == meta["issuer"] + "/end-session"


def test_the_portals_of_a_session_are_found_on_redis(bc_settings: Settings,
                                                     receiver: Receiver) -> None:
    with redis_server() as url:
        app = create_app({"TESTING": True, "EID_SETTINGS": bc_settings.with_(redis_url=url)})
        flow = Flow(app)
        _sign_in(flow, HCM)
        _sign_in(flow, NATIONAL)
        _sign_out(flow)
        _sender(app).deliver_due(time.time())
    assert sorted(p["path"] for p in receiver.posts) == ["/hcm", "/national"]
