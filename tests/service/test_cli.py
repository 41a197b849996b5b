"""`eid serve` is an `eid.commands` entry point of the service (eid never imports Flask)."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from eid.cli import build_parser
from tests.servers import free_port, wait_until_serving


def test_serve_command_defaults_to_loopback_port_5000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 5000)
    args = build_parser().parse_args(["serve", "--port", "5123"])
    assert args.port == 5123


def test_the_serve_command_module_imports_flask_only_when_it_runs() -> None:
    code = "import sys, eid, eid.cli, eid.oidc, eid.storage, eid.verify, service.cli; " \
           "print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         check=True)
    assert out.stdout.strip() == "False"


def run_command(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EID_")}
    return subprocess.Popen([sys.executable, "-m", "eid", *args], cwd=cwd, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_eid_serve_serves_its_issuer_on_the_port_it_was_given(tmp_path: Path) -> None:
    port = free_port()
    proc = run_command(["serve", "--port", str(port)], tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        body = wait_until_serving(url + "/.well-known/openid-configuration", proc, "eid serve")
        assert json.loads(body)["issuer"] == url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_eid_portal_trusts_the_issuer_it_is_given(tmp_path: Path) -> None:
    port = free_port()
    proc = run_command(["portal", "--port", str(port), "--issuer", "http://127.0.0.1:5999"],
                       tmp_path)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", proc, "eid portal")
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode()
        assert f"demo portal on http://127.0.0.1:{port} (login service http://127.0.0.1:5999)" \
            in out
    finally:
        proc.kill()
        proc.wait(timeout=20)


def test_a_port_in_use_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = run_command(["serve", "--port", str(busy.getsockname()[1])], tmp_path)
        out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 2
    assert out.startswith("error: cannot_listen: cannot listen on 127.0.0.1:") and \
        "Traceback" not in out


def test_a_worker_freezes_its_start_up_objects_once_its_app_is_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import service.app
    from service.cli import _worker_app
    from service.config import Settings

    steps: list[str] = []
    built = object()

    def create_app(config: dict[str, object]) -> object:
        settings = config["EID_SETTINGS"]
        assert isinstance(settings, Settings)
        steps.append(f"built with metrics in {settings.metrics_dir}")
        return built

    monkeypatch.setattr(service.app, "create_app", create_app)
    monkeypatch.setattr(gc, "freeze", lambda: steps.append("frozen"))
    settings = Settings(instance=tmp_path, durable_path=str(tmp_path / "eid.sqlite"),
                        test_mode=False)
    assert _worker_app(settings, tmp_path / "metrics") is built
    # After the build, so what start-up made is frozen; nothing else is.
    assert steps == [f"built with metrics in {tmp_path / 'metrics'}", "frozen"]
