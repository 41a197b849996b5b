"""``eid serve`` on gunicorn (service.production): workers, threads, access lines."""

from __future__ import annotations

import logging
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from service import production
from service.production import DEFAULT_THREADS, Workers
from service.serving import Server, access_path
from tests.service.served import eid_serve, serve_env


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


def test_eid_serve_runs_gunicorn_workers_and_logs_no_query_string(tmp_path: Path) -> None:
    with eid_serve(["--threads", "3"], tmp_path) as served:
        assert "1 worker(s) x 3 thread(s)" in served.output
        assert "Using worker: gthread" in served.output
        url = served.url + "/.well-known/openid-configuration?state=SECRET-STATE"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.status == 200
        served.wait_for(r'"GET /.well-known/openid-configuration HTTP/1.1" 200')
        assert served.stop() == 0
    assert "SECRET-STATE" not in served.output
    assert "Traceback" not in served.output
