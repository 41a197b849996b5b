"""Reading EID_REDIS_URL: one server, Sentinel, Cluster; malformed URLs are refused by name."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from eid.errors import ConfigurationError, StorageError
from eid.storage import ephemeral_store_from_url
from eid.storage.redis import redis_client
from eid.storage.redis_url import parse_redis_url
from tests.servers import free_port


@pytest.mark.parametrize(("url", "expected"), [
    ("redis://127.0.0.1:6379/0", {"kind": "single", "url": "redis://127.0.0.1:6379/0"}),
    ("unix:///run/redis.sock?db=1", {"kind": "single"}),
    ("redis+sentinel://10.0.0.1,10.0.0.2:26380/eid", {
        "kind": "sentinel", "nodes": (("10.0.0.1", 26379), ("10.0.0.2", 26380)),
        "service": "eid", "db": 0, "tls": False}),
    ("rediss+sentinel://:p%40ss@s1:1/eid/3?sentinel_password=sp&ssl_ca_certs=/ca.pem", {
        "kind": "sentinel", "nodes": (("s1", 1),), "db": 3, "password": "p@ss",
        "username": None, "sentinel_password": "sp", "tls": True, "ssl_ca_certs": "/ca.pem"}),
    ("redis+sentinel://app:pw@[::1]:26379/eid/", {
        "nodes": (("::1", 26379),), "username": "app", "password": "pw"}),
    ("redis+sentinel://pw@s1/eid", {"username": None, "password": "pw"}),
    ("redis+cluster://n1:7000,n2:7001,n3", {
        "kind": "cluster", "nodes": (("n1", 7000), ("n2", 7001), ("n3", 6379))}),
    ("rediss+cluster://u:p@n1:7000/0", {"tls": True, "username": "u", "password": "p"}),
])
def test_url_forms(url: str, expected: dict[str, Any]) -> None:
    target = parse_redis_url(url)
    assert {name: getattr(target, name) for name in expected} == expected


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:6379", "not a Redis URL"),
    ("127.0.0.1:6379", "not a Redis URL"),
    ("redis+sentinel://s1:26379", "/<service name>"),
    ("redis+sentinel://s1:26379/", "/<service name>"),
    ("redis+sentinel://s1/eid/x", "database is a number"),
    ("redis+sentinel://s1/eid/0/9", "/<service name>"),
    ("redis+sentinel://s1/e{i}d", "/<service name>"),
    ("redis+sentinel:///eid", "host[:port]"),
    ("redis+sentinel://s1,,s2/eid", "host[:port]"),
    ("redis+sentinel://s 1/eid", "host[:port]"),
    ("redis+sentinel://s1:0/eid", "port"),
    ("redis+sentinel://s1:70000/eid", "port"),
    ("redis+sentinel://s1:x/eid", "port"),
    ("redis+sentinel://[::1/eid", "host[:port]"),
    ("redis+sentinel://s1/eid?socket_timeout=60", "unknown option 'socket_timeout'"),
    ("redis+sentinel://s1/eid?sentinel_password=a&sentinel_password=b", "repeated"),
    ("redis+sentinel://s1/eid?ssl_ca_certs=/ca.pem", "needs a TLS scheme"),
    ("redis+sentinel://s1/eid#frag", "fragment"),
    ("redis+cluster://n1:7000/1", "database 0 only"),
    ("redis+cluster://", "host[:port]"),
    ("redis+cluster://n1?sentinel_password=x", "unknown option"),
    ("redis+cluster://n1?garbage", "name=value"),
])
def test_malformed_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        ephemeral_store_from_url(url)
    assert err.value.code == "invalid_url"
    assert why in str(err.value)


def test_a_password_is_never_shown() -> None:
    target = parse_redis_url("redis+cluster://u:s3cret@n1:7000,n2")
    assert "s3cret" not in repr(target)
    with pytest.raises(ConfigurationError) as err:
        parse_redis_url("redis+cluster://u:s3cret@n1:7000/5")
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize("scheme", ["redis+cluster://127.0.0.1:{port}",
                                    "redis+sentinel://127.0.0.1:{port}/eid"])
def test_unreachable_topologies_are_storage_errors(scheme: str) -> None:
    store = ephemeral_store_from_url(scheme.format(port=free_port()))  # connects on first use
    with pytest.raises(StorageError) as err:
        store.put("{t}:k", {"v": 1}, 60)
    assert err.value.code == "storage_unavailable"


def test_the_client_parses_replies_with_hiredis() -> None:
    # The redis extra brings hiredis (pyproject.toml); without it redis-py falls back to
    # its pure-Python parser silently, and every round trip costs more CPU.
    client = redis_client(parse_redis_url("redis://127.0.0.1:1/0"))
    assert isinstance(client, redis.Redis)
    connection = client.connection_pool.make_connection()
    assert type(connection._parser).__module__ == "redis._parsers.hiredis"  # type: ignore[attr-defined]
