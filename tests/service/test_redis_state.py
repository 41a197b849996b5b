"""A full login on Redis short-lived state (a real redis-server on a free port)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service import create_app
from service.config import Settings
from tests.servers import redis_server
from tests.service.flow import LOA2, Flow


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_full_flow_code_reuse_and_refresh_on_redis(settings: Settings, redis_url: str) -> None:
    app = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(redis_url=redis_url)})
    store = app.extensions["eid"].ephemeral
    assert type(store).__name__ == "RedisStore"
    flow = Flow(app)
    auth = flow.request(scope="openid profile offline_access")
    flow.authorize(auth, LOA2)
    data = {"grant_type": "authorization_code", "code": auth.code,
            "redirect_uri": auth.params["redirect_uri"], "code_verifier": auth.verifier}
    body = flow.token(data).json
    flow.verify(body["id_token"], nonce="n-456", access_token=body["access_token"])
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json["name"] == "Nguyễn Văn Hùng"
    assert flow.token(data).json["error"] == "invalid_grant"
    assert flow.introspect(body["access_token"]) == {"active": False}
    store.clear()


def test_lockout_counts_on_redis(settings: Settings, redis_url: str) -> None:
    app = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(redis_url=redis_url)})
    flow = Flow(app)
    for attempt in range(5):
        auth = flow.request()
        flow.follow(flow.start(auth))
        r = flow.submit_login(LOA2[0], "wrong", auth.req_id)
        expected = "tạm thời bị khóa" if attempt == 4 else "không đúng"
        assert expected in r.get_data(as_text=True)
    app.extensions["eid"].ephemeral.clear()
