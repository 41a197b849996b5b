"""A full login on Redis short-lived state: one redis-server, and a Redis Cluster of three
primaries, where the keys of one flow must share a hash slot and flows spread over shards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from flask import Flask
from redis.cluster import RedisCluster

from service import create_app
from service.config import Settings
from tests.servers import redis_cluster, redis_server
from tests.service.flow import LOA2, Flow


@pytest.fixture(scope="module", params=["redis", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        with redis_server() as url:
            yield url
    else:
        with redis_cluster() as cluster:
            yield cluster.url


def _app(settings: Settings, url: str) -> Flask:
    app = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(redis_url=url)})
    app.extensions["eid"].ephemeral.clear()
    return app


def test_full_flow_code_reuse_and_refresh_on_redis(settings: Settings, redis_url: str) -> None:
    app = _app(settings, redis_url)
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
    refreshed = flow.token({"grant_type": "refresh_token",
                            "refresh_token": body["refresh_token"]}).json
    assert flow.introspect(refreshed["access_token"])["active"] is True
    assert flow.token(data).json["error"] == "invalid_grant"  # a replay revokes the grant
    assert flow.introspect(refreshed["access_token"]) == {"active": False}
    store.clear()


def test_lockout_counts_on_redis(settings: Settings, redis_url: str) -> None:
    app = _app(settings, redis_url)
    flow = Flow(app)
    for attempt in range(5):
        auth = flow.request()
        flow.follow(flow.start(auth))
        r = flow.submit_login(LOA2[0], "wrong", auth.req_id)
        expected = "tạm thời bị khóa" if attempt == 4 else "không đúng"
        assert expected in r.get_data(as_text=True)
    app.extensions["eid"].ephemeral.clear()


@pytest.mark.parametrize("redis_url", ["cluster"], indirect=True)  # slots: a cluster's
def test_keys_of_one_flow_share_a_slot_and_flows_spread(settings: Settings,
                                                       redis_url: str) -> None:
    app = _app(settings, redis_url)
    store = app.extensions["eid"].ephemeral
    for _ in range(8):  # eight citizens' browsers, each a complete flow
        flow = Flow(app)
        auth = flow.request(scope="openid profile offline_access")
        flow.follow(flow.start(auth))
        flow.submit_login(LOA2[0], "wrong", auth.req_id)  # an attempt window
        flow.authorize(auth, LOA2)
        body = flow.redeem(auth).json
        flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    cluster: RedisCluster = store.client
    groups: dict[str, list[str]] = defaultdict(list)
    for node in cluster.get_primaries():
        for raw in cluster.scan_iter(match="eid:*", target_nodes=node):
            key = raw.decode()
            groups[key[key.index("{") + 1:key.index("}")]].append(key)
    kinds = {tag: sorted(k.split("}:", 1)[1].split(":")[0] for k in keys)
             for tag, keys in groups.items()}
    # Each login session keeps its record, its counter of portals and the portal entry
    # together; each redeemed code its marker (the code itself is gone).
    sessions = [tag for tag, k in kinds.items() if "session" in k]
    assert len(sessions) == 8
    assert all(kinds[tag] == ["client", "clients", "session"] for tag in sessions)
    assert sum(k == ["code-used"] for k in kinds.values()) == 8
    slot_of = {key: int(cluster.cluster_keyslot(key))  # CLUSTER KEYSLOT, asked of a node
               for keys in groups.values() for key in keys}
    for keys in groups.values():
        assert len({slot_of[key] for key in keys}) == 1, keys
    # Different flows, different slots (two of 16384 may meet by chance; more would
    # mean a shared tag), and so different shards.
    assert len({slot_of[groups[tag][0]] for tag in sessions}) >= 7
    assert len({cluster.get_node_from_key(groups[tag][0]).name for tag in groups}) >= 2
    store.clear()
