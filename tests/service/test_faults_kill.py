"""A gunicorn worker of ``eid serve`` killed (``SIGKILL``) in the middle of requests:
gunicorn replaces it, and the durable store holds no half-written consent or grant;
codes stay single-use."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from eid.oidc import make_pkce
from tests.service import faults
from tests.service.load import CITIZENS, PORTAL, Browser, Report, drive, token_request
from tests.service.rows import assert_acknowledged_kept, assert_rows_whole, open_rows
from tests.service.served import Served, eid_serve, serve_env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with faults.redis() as redis, eid_serve(
            ["--workers", "2", "--threads", "4"], tmp_path,
            serve_env(EID_REDIS_URL=redis.url)) as running:
        running.wait_for_workers(2)
        yield running


def half_sent_login(base: str) -> socket.socket:
    """A login POST whose body stops short: its worker is inside the request, reading."""
    browser = Browser(base)
    query = urlencode({"client_id": PORTAL[0], "redirect_uri": PORTAL[2],
                       "response_type": "code", "scope": "openid", "state": "s", "nonce": "n",
                       "code_challenge": make_pkce()[1], "code_challenge_method": "S256"})
    login = browser.send("GET", f"/authorize?{query}").headers["location"]
    page = browser.send("GET", login)
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    body = urlencode({"csrf_token": csrf, "req": parse_qs(urlsplit(login).query)["req"][0],
                      "id_number": CITIZENS[0][0], "password": CITIZENS[0][1]}).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    sock = socket.create_connection((browser.host, browser.port), timeout=30)
    sock.sendall((f"POST /login HTTP/1.1\r\nHost: {browser.host}\r\nCookie: {cookie}\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                 + body[:-5])
    return sock


def test_a_worker_killed_mid_request_is_replaced_and_leaves_no_half_written_row(
        served: Served, tmp_path: Path) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    workers = served.workers()
    report = Report()
    load = threading.Thread(target=drive, args=(served.url,), daemon=True, kwargs={
        "flows": 24, "seconds": 60, "concurrency": 4, "report": report})
    load.start()
    deadline = time.monotonic() + 60
    while len(report.completed) < 2:  # flows are running on both workers
        assert time.monotonic() < deadline and load.is_alive(), report.errors()
        time.sleep(0.05)
    cut = half_sent_login(served.url)
    faults.wait_until_accepted(port)
    # No worker may have died before the kill: say so with the server's own words (a
    # vanished pid would otherwise surface as a FileNotFoundError from /proc).
    dead = [pid for pid in workers if not Path(f"/proc/{pid}/fd").exists()]
    assert not dead, f"workers {dead} of {workers} died before the kill:\n" + "\n".join(
        line for line in served.output.splitlines() if '" ' not in line)[-4000:]
    victim = faults.holder_of(port, cut.getsockname()[1], workers)
    os.kill(victim, signal.SIGKILL)  # with that request (and whatever else it ran) inside
    with cut:
        try:
            cut.sendall(b"x" * 5)
            answer = cut.recv(65536)
        except OSError:
            answer = b""
    assert answer == b""  # the request died with its worker: no answer, not a wrong one
    load.join(timeout=120)
    assert not load.is_alive()
    deadline = time.monotonic() + 60
    while len(set(served.workers()) - {victim}) < 2:  # gunicorn booted a replacement
        assert time.monotonic() < deadline, served.output[-3000:]
        time.sleep(0.05)

    # Killed requests were cut off; every answer that came was a right one.
    assert set(report.errors()) <= {"connection: RemoteDisconnected",
                                    "connection: ConnectionResetError",
                                    "connection: IncompleteRead",
                                    "connection: BrokenPipeError"}, report.errors()
    after = drive(served.url, flows=4, seconds=60, concurrency=2)
    assert len(after.completed) == 4, after.errors()
    db = open_rows(tmp_path / "instance")
    assert_rows_whole(db)
    assert_acknowledged_kept(db, report.results + after.results)

    # Codes are single-use whatever happened to the request that redeemed them.
    for result in report.results + after.results:
        if result.code is None:
            continue
        redeemed = 1 if result.refresh_token else 0
        for _ in range(2):
            status, _, _ = token_request(served.url, {
                "grant_type": "authorization_code", "code": result.code,
                "redirect_uri": PORTAL[2], "code_verifier": result.verifier or ""})
            redeemed += status == 200
        assert redeemed <= 1, result
    assert served.stop() == 0
    assert_rows_whole(open_rows(tmp_path / "instance"))  # replays revoked, and left whole
