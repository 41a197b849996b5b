"""``eid serve`` on each of its servers (granian, the default, and gunicorn): workers,
threads, access lines, graceful stop, metrics, the app built per worker."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from eid.errors import ConfigurationError
from eid.oidc import make_pkce
from service import production
from service.production import DEFAULT_THREADS, Workers
from service.serving import Server, access_path
from tests.service import faults
from tests.service.faults import wait_until_accepted
from tests.service.load import CITIZENS, PORTAL, Browser
from tests.service.served import eid_serve, serve_env

#: Per server: what its log says when a worker has started, and when SIGTERM arrived.
SERVERS = {
    "granian": ("Spawning worker-1 with PID", "Shutting down granian"),
    "gunicorn": ("Using worker: gthread", "Handling signal: term"),
}


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.mark.parametrize(("shared", "workers", "threads", "expected"), [
    (False, None, None, (1, DEFAULT_THREADS)),   # memory store: one process, always
    (True, None, None, (3, DEFAULT_THREADS)),    # Redis: one worker per usable core
    (False, 1, 8, (1, 8)),
    (True, 5, 2, (5, 2)),
])
def test_the_worker_plan_defaults_to_the_cores_only_with_shared_state(
        monkeypatch: pytest.MonkeyPatch, shared: bool, workers: int | None,
        threads: int | None, expected: tuple[int, int]) -> None:
    monkeypatch.setattr(production, "usable_cores", lambda: 3)
    plan = Workers.plan(shared_state=shared, workers=workers, threads=threads)
    assert (plan.processes, plan.threads) == expected


@pytest.mark.parametrize(("shared", "workers", "threads"), [
    (False, 2, None),  # a code issued in one worker could not be redeemed in another
    (True, 0, None),
    (True, None, 0),
    (False, -1, None),
])
def test_a_worker_plan_that_cannot_work_is_refused(shared: bool, workers: int | None,
                                                   threads: int | None) -> None:
    with pytest.raises(ConfigurationError) as err:
        Workers.plan(shared_state=shared, workers=workers, threads=threads)
    assert err.value.code == "invalid_setting"


def test_several_workers_without_redis_is_a_usage_error_naming_eid_redis_url(
        tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "eid", "serve", "--port", "0", "--workers", "2"],
        cwd=tmp_path, env=serve_env(), capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert out.stderr.startswith("error: invalid_setting: --workers 2 needs EID_REDIS_URL")
    assert "Traceback" not in out.stderr + out.stdout


@pytest.mark.parametrize(("target", "shown"), [
    ("/callback?code=abc&state=xyz", "/callback"),
    ("/authorize?client_id=a&request_uri=urn:x", "/authorize"),
    ("/token", "/token"),
    ("http://host/x?y=1", "/x"),
    ("?only=query", "/"),
    ("/a\x1bb", "/a\\x1bb"),  # an escape sequence never reaches the operator's terminal
])
def test_an_access_line_shows_the_path_without_the_query(target: str, shown: str) -> None:
    assert access_path(target) == shown


def test_the_development_server_logs_no_query_string(caplog: pytest.LogCaptureFixture) -> None:
    def ok(environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"ok"]

    with caplog.at_level(logging.INFO, logger="werkzeug"), Server() as server:
        server.mount(ok).start()
        with urllib.request.urlopen(server.url + "/cb?code=SECRET-CODE&state=S", timeout=5):
            pass
        server.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /cb HTTP/1.1" 200' in line for line in lines)
    assert "SECRET-CODE" not in caplog.text


def test_eid_serve_runs_its_workers_and_logs_no_query_string(tmp_path: Path, server: str
                                                             ) -> None:
    with eid_serve(["--server", server, "--threads", "3"], tmp_path) as served:
        assert f"{server}, 1 worker(s) x 3 thread(s)" in served.output
        served.wait_for(SERVERS[server][0])
        url = served.url + "/.well-known/openid-configuration?state=SECRET-STATE"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.status == 200
        served.wait_for(r'"GET /.well-known/openid-configuration HTTP/1.1" 200')
        # A decoded path would let a client write lines of its own into the log.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(served.url + "/x%0A127.0.0.1%20forged%1B[2J", timeout=5)
        served.wait_for(r'"GET /x%0A127.0.0.1%20forged%1B\[2J HTTP/1.1" 404')
        assert served.stop() == 0
    assert "SECRET-STATE" not in served.output
    assert "\n127.0.0.1 forged" not in served.output and "\x1b" not in served.output
    assert "Traceback" not in served.output


def _raw_login(port: int, browser: Browser, req: str, csrf: str) -> tuple[socket.socket, bytes]:
    """A login POST on its own connection, sent but for the last bytes of its body."""
    body = urlencode({"csrf_token": csrf, "req": req, "id_number": CITIZENS[0][0],
                      "password": CITIZENS[0][1]}).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(head + body[:-8])
    return sock, body[-8:]


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_lets_every_accepted_request_finish_and_exits_0(tmp_path: Path, server: str
                                                               ) -> None:
    in_flight = 6
    with eid_serve(["--server", server, "--workers", "1", "--threads", "8"], tmp_path) as served:
        port = int(served.url.rsplit(":", 1)[1])
        pending = []
        for _ in range(in_flight):  # each citizen's browser up to the login screen
            browser = Browser(served.url)
            r = browser.send("GET", "/authorize?" + urlencode({
                "client_id": PORTAL[0], "redirect_uri": PORTAL[2], "response_type": "code",
                "scope": "openid", "state": "s", "nonce": "n", "code_challenge_method": "S256",
                "code_challenge": make_pkce()[1]}))
            login = r.headers["location"]
            page = browser.send("GET", login)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf is not None
            pending.append((browser, parse_qs(urlsplit(login).query)["req"][0], csrf.group(1)))
        # Every request is in the worker's hands (accepted, reading its body) when the
        # signal comes: no timing decides what "in flight" means.
        sent = [_raw_login(port, *p) for p in pending]
        wait_until_accepted(port)
        served.proc.send_signal(signal.SIGTERM)
        served.wait_for(SERVERS[server][1])
        answers = []
        for sock, rest in sent:
            with sock:
                sock.sendall(rest)
                answers.append(_read_all(sock))
        assert served.proc.wait(timeout=60) == 0
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 302 "), answer[:300]
        assert re.search(rb"(?im)^location: /authorize/resume\?req=", head), head
        length = re.search(rb"(?im)^content-length: (\d+)", head)
        assert length is not None and len(body) == int(length.group(1))
    assert "Traceback" not in served.output


def test_metrics_add_up_every_worker(tmp_path: Path, server: str) -> None:
    token = "metrics-token-for-the-tests-0123456789"
    with faults.redis() as store, eid_serve(
            ["--server", server, "--workers", "2", "--threads", "2"], tmp_path,
            serve_env(EID_REDIS_URL=store.url, EID_METRICS_TOKEN=token)) as served:
        assert "2 worker(s) x 2 thread(s)" in served.output
        served.wait_for_workers(2)
        asked = 30
        for _ in range(asked):
            with urllib.request.urlopen(served.url + "/healthz", timeout=10) as resp:
                assert resp.status == 200
        scrapes = set()
        for _ in range(6):  # whichever worker answers, it reports both
            request = urllib.request.Request(served.url + "/metrics",
                                             headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=10) as resp:
                text = resp.read().decode()
            found = re.search(r'eid_http_requests_total\{endpoint="ops\.healthz",method="GET",'
                              r'status="200"\} (\S+)', text)
            assert found is not None, text[:2000]
            scrapes.add(float(found.group(1)))
        assert scrapes == {float(asked)}


def _open_files(pid: int) -> set[str]:
    files = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            files.add(os.readlink(fd))
        except OSError:
            continue
    return files


def test_the_app_is_built_in_each_worker_never_in_the_master(tmp_path: Path, server: str
                                                             ) -> None:
    # Preloading would open the SQLite store (and start the back-channel thread) in the
    # master, to be inherited by every fork: a connection must not cross a fork.
    with eid_serve(["--server", server, "--threads", "2"], tmp_path) as served:
        (worker,) = served.wait_for_workers(1)
        database = str((tmp_path / "instance" / "eid.sqlite").resolve())
        assert database in _open_files(worker)
        assert database not in _open_files(served.proc.pid)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def test_a_worker_ends_when_its_master_is_killed(tmp_path: Path, server: str) -> None:
    # A worker left serving would hold the port: the supervisor's restart could not bind.
    with eid_serve(["--server", server, "--threads", "2"], tmp_path) as served:
        (worker,) = served.wait_for_workers(1)
        served.proc.kill()
        served.proc.wait(timeout=10)
        deadline = time.monotonic() + 60
        try:
            while _alive(worker):
                assert time.monotonic() < deadline, f"worker {worker} outlived its master"
                time.sleep(0.1)
        finally:
            if _alive(worker):  # the test failed: leave no server behind
                os.kill(worker, signal.SIGKILL)


def test_an_app_that_cannot_be_built_stops_eid_serve_with_the_error_not_a_traceback(
        tmp_path: Path, server: str) -> None:
    out = subprocess.run(  # noqa: S603 - our own command, a fixed choice of server
        [sys.executable, "-m", "eid", "serve", "--server", server, "--port", "0"], cwd=tmp_path,
        env=serve_env(EID_REGISTRY=str(tmp_path / "no-such-registry.json")),
        capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 4  # the app failed to load; the server stops, no worker loops
    assert "error: data_file_missing:" in out.stderr + out.stdout
    assert "Traceback" not in out.stderr + out.stdout
