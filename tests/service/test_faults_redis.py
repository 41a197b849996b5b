"""Redis, the short-lived store of ``eid serve`` (gunicorn, two workers), goes away under
load and comes back: 503 ``temporarily_unavailable`` meanwhile, recovery without a
restart, and nothing acknowledged to a client lost."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from eid.oidc import make_pkce
from tests.service import faults
from tests.service.load import PORTAL, Browser, Report, drive, run_flow, token_request
from tests.service.rows import assert_acknowledged_kept, assert_rows_whole, open_rows
from tests.service.served import Served, eid_serve, serve_env


@pytest.fixture
def redis() -> Iterator[faults.Redis]:
    with faults.redis() as server:
        yield server


@pytest.fixture
def served(redis: faults.Redis, tmp_path: Path) -> Iterator[Served]:
    with eid_serve(["--workers", "2", "--threads", "4"], tmp_path,
                   serve_env(EID_REDIS_URL=redis.url)) as running:
        running.wait_for_workers(2)
        yield running


def authorize(base: str) -> tuple[int, dict[str, str]]:
    """A portal's authorization request: (status, query of the redirect)."""
    query = urlencode({"client_id": PORTAL[0], "redirect_uri": PORTAL[2],
                       "response_type": "code", "scope": "openid", "state": "outage",
                       "nonce": "n", "code_challenge": make_pkce()[1],
                       "code_challenge_method": "S256"})
    r = Browser(base).send("GET", f"/authorize?{query}")
    return r.status, {k: v[0] for k, v in parse_qs(urlsplit(
        r.headers.get("location", "")).query).items()}


def readiness(base: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=30) as resp:
            return resp.status, json.load(resp)["stores"]
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)["stores"]


def assert_unavailable(base: str) -> None:
    """What a portal and a load balancer see while Redis is gone (or silent)."""
    status, params = authorize(base)
    assert status == 302 and params["error"] == "temporarily_unavailable", params
    assert params["state"] == "outage"
    status, headers, body = token_request(base, {
        "grant_type": "authorization_code", "code": "c" * 43, "redirect_uri": PORTAL[2],
        "code_verifier": "v" * 43})
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert headers["retry-after"] == "5"
    assert readiness(base) == (503, {"ephemeral": "unavailable", "durable": "ok",
                                     "registry": "ok"})


def test_redis_stopped_under_load_then_back_on_the_same_port(
        redis: faults.Redis, served: Served, tmp_path: Path) -> None:
    workers = served.workers()
    before = Report()
    load = threading.Thread(target=drive, args=(served.url,), daemon=True, kwargs={
        "flows": 24, "seconds": 60, "concurrency": 3, "report": before})
    load.start()
    deadline = time.monotonic() + 60
    while len(before.completed) < 3:  # the load is well under way
        assert time.monotonic() < deadline and load.is_alive(), before.errors()
        time.sleep(0.05)
    redis.stop()
    assert_unavailable(served.url)
    load.join(timeout=120)
    assert not load.is_alive()
    # Flows under way when Redis went fail with the one outage answer, never another error.
    assert set(before.errors()) <= {"temporarily_unavailable"}, before.errors()

    redis.start()  # empty (no persistence), same port: the workers reconnect by themselves
    assert readiness(served.url) == (200, {"ephemeral": "ok", "durable": "ok",
                                           "registry": "ok"})
    after = drive(served.url, flows=6, seconds=60, concurrency=3)
    assert len(after.completed) == 6, after.errors()
    # A refresh grant acknowledged before the outage still works after it.
    kept = next(r for r in before.completed if r.refresh_token)
    status, _, body = token_request(served.url, {"grant_type": "refresh_token",
                                                 "refresh_token": kept.refresh_token or ""})
    assert status == 200 and body["refresh_token"]
    assert served.workers() == workers  # recovered without a restart
    assert served.stop() == 0
    assert "Traceback" not in served.output
    db = open_rows(tmp_path / "instance")
    assert_rows_whole(db)
    assert_acknowledged_kept(db, before.results + after.results)


def test_a_paused_redis_fails_requests_within_its_timeout_then_recovers(
        redis: faults.Redis, served: Served) -> None:
    assert run_flow(served.url, ("074078000101", "Hung-1978!")).error is None
    redis.pause()  # SIGSTOP: connections are accepted by the kernel, nothing answers
    try:
        assert_unavailable(served.url)  # each store call gives up after one 2 s timeout
    finally:
        redis.resume()
    result = run_flow(served.url, ("074078000101", "Hung-1978!"))
    assert result.error is None, result
    assert "Traceback" not in served.output
