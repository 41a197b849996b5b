"""RemoteKeySource: discovery, caching, refetch on unknown kid, and the HTTP transport."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from eid.errors import ConfigurationError, KeySourceError, TokenError
from eid.signing import SigningKey, public_jwks
from eid.verify import FetchResult, RemoteKeySource, verify_jws
from eid.verify.remote import http_fetch
from tests.verify.conftest import ISSUER, Mint

DISCOVERY = ISSUER + "/.well-known/openid-configuration"
JWKS_URI = ISSUER + "/jwks"


class FakeIssuer:
    """Serves discovery and a JWKS from memory, counting fetches; a manual clock."""

    def __init__(self, jwks: dict[str, Any], cache_control: str | None = None) -> None:
        self.jwks = jwks
        self.cache_control = cache_control
        self.now = 1000.0
        self.fetches: list[str] = []
        self.fail = False
        self.discovery: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": JWKS_URI}

    def fetch(self, url: str) -> FetchResult:
        self.fetches.append(url)
        if self.fail:
            raise KeySourceError("down", code="fetch_failed")
        if url == DISCOVERY:
            return FetchResult(json.dumps(self.discovery).encode(), None)
        assert url == JWKS_URI
        return FetchResult(json.dumps(self.jwks).encode(), self.cache_control)

    def source(self, **kw: Any) -> RemoteKeySource:
        return RemoteKeySource(ISSUER, fetch=self.fetch, clock=lambda: self.now, **kw)


@pytest.fixture
def only_ec(signing_keys: dict[str, SigningKey]) -> dict[str, Any]:
    return public_jwks([signing_keys["ec-p256"]])


def test_discovers_the_jwks_uri_and_caches(only_ec: dict[str, Any], mint: Mint) -> None:
    issuer = FakeIssuer(only_ec)
    source = issuer.source()
    for _ in range(3):
        verify_jws(mint(), source)
    assert issuer.fetches == [DISCOVERY, JWKS_URI]


@pytest.mark.parametrize(
    ("cache_control", "fresh_at", "stale_at"),
    [
        (None, 299, 300),
        ("max-age=600", 599, 600),
        ("public, max-age=10", 59, 60),  # below the 60 s floor
        ("max-age=999999999", 86_399, 86_400),  # above the one-day ceiling
        ("no-store", 59, 60),
        ("max-age=oops", 299, 300),
    ],
)
def test_cache_lifetime_honours_cache_control_within_bounds(
    cache_control: str | None, fresh_at: int, stale_at: int, only_ec: dict[str, Any]
) -> None:
    issuer = FakeIssuer(only_ec, cache_control)
    source = issuer.source()
    source.key_set()
    issuer.now += fresh_at
    source.key_set()
    assert len(issuer.fetches) == 2
    issuer.now += stale_at - fresh_at
    source.key_set()
    assert len(issuer.fetches) == 3


def test_unknown_kid_refetches_at_most_once_per_interval(
    only_ec: dict[str, Any], signing_keys: dict[str, SigningKey], mint: Mint
) -> None:
    issuer = FakeIssuer(only_ec)
    source = issuer.source(min_refresh_interval=60)
    verify_jws(mint(), source)
    token = mint(kid="ed25519")  # signed with a key the issuer has not published yet
    with pytest.raises(TokenError) as err:
        verify_jws(token, source)
    assert err.value.code == "unknown_kid"
    assert len(issuer.fetches) == 2  # too soon after the first fetch: no refetch
    # The issuer rotates in the new key; after the interval one refetch finds it.
    issuer.jwks = public_jwks([signing_keys["ec-p256"], signing_keys["ed25519"]])
    issuer.now += 60
    verify_jws(token, source)
    assert len(issuer.fetches) == 3
    # A flood of tokens with unknown kids costs no further fetches.
    for _ in range(5):
        with pytest.raises(TokenError):
            verify_jws(mint(kid="ec-p256-b"), source)
    assert len(issuer.fetches) == 3


def test_fetch_failure_without_any_key_set_is_a_key_source_error(
    only_ec: dict[str, Any], mint: Mint
) -> None:
    issuer = FakeIssuer(only_ec)
    issuer.fail = True
    with pytest.raises(KeySourceError) as err:
        verify_jws(mint(), issuer.source())
    assert err.value.code == "fetch_failed"


def test_stale_keys_are_kept_when_a_refetch_fails(only_ec: dict[str, Any], mint: Mint) -> None:
    issuer = FakeIssuer(only_ec)
    source = issuer.source()
    verify_jws(mint(), source)
    issuer.now += 10_000
    issuer.fail = True
    verify_jws(mint(), source)


@pytest.mark.parametrize(
    ("discovery", "code"),
    [
        ({"issuer": "https://impostor.test", "jwks_uri": JWKS_URI}, "issuer_mismatch"),
        ({"issuer": ISSUER}, "malformed_jwks"),
        ({"issuer": ISSUER, "jwks_uri": "http://login.eid.test/jwks"}, "insecure_url"),
    ],
)
def test_bad_discovery_documents(discovery: dict[str, Any], code: str,
                                 only_ec: dict[str, Any]) -> None:
    issuer = FakeIssuer(only_ec)
    issuer.discovery = discovery
    with pytest.raises(KeySourceError) as err:
        issuer.source().key_set()
    assert err.value.code == code


def test_malformed_jwks_from_the_issuer(only_ec: dict[str, Any]) -> None:
    issuer = FakeIssuer({"keys": "nope"})
    with pytest.raises(KeySourceError) as err:
        issuer.source().key_set()
    assert err.value.code == "malformed_jwks"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://login.eid.test", "insecure_url"),
        ("http://10.0.0.1", "insecure_url"),
        ("ftp://login.eid.test", "invalid_url"),
        ("login.eid.test", "invalid_url"),
    ],
)
def test_https_is_required_except_for_loopback(url: str, code: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        RemoteKeySource(url)
    assert err.value.code == code


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:80"])
def test_loopback_http_is_allowed(url: str) -> None:
    RemoteKeySource(url)


# --- the real HTTP transport, against a server on a loopback port ------------------

class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes, dict[str, str], float]]] = {}

    def do_GET(self) -> None:
        status, body, headers, delay = self.routes.get(self.path, (404, b"", {}, 0.0))
        time.sleep(delay)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _fetch(url: str, **kw: Any) -> FetchResult:
    args = {"connect_timeout": 1.0, "read_timeout": 1.0, "max_bytes": 1024, **kw}
    return http_fetch(url, **args)


def test_end_to_end_over_http(server: str, only_ec: dict[str, Any], mint: Mint) -> None:
    _Handler.routes = {
        "/.well-known/openid-configuration": (
            200, json.dumps({"issuer": server, "jwks_uri": server + "/jwks"}).encode(), {}, 0),
        "/jwks": (200, json.dumps(only_ec).encode(), {"Cache-Control": "max-age=120"}, 0),
    }
    keys = RemoteKeySource(server).key_set()
    assert [k.kid for k in keys.keys] == ["ec-p256"]


@pytest.mark.parametrize(
    ("route", "code"),
    [
        ((500, b"{}", {}, 0.0), "fetch_failed"),
        ((302, b"", {"Location": "https://elsewhere.test/"}, 0.0), "fetch_failed"),
        ((200, b"x" * 2048, {}, 0.0), "response_too_large"),
        ((200, b"{}", {}, 1.5), "fetch_failed"),  # slower than the read timeout
    ],
    ids=["500", "redirect-not-followed", "too-large", "read-timeout"],
)
def test_transport_failures(route: tuple[int, bytes, dict[str, str], float], code: str,
                            server: str) -> None:
    _Handler.routes = {"/x": route}
    with pytest.raises(KeySourceError) as err:
        _fetch(server + "/x")
    assert err.value.code == code


def test_connection_refused_is_a_fetch_failure() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KeySourceError) as err:
        _fetch(f"http://127.0.0.1:{port}/jwks")
    assert err.value.code == "fetch_failed"
