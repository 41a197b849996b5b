"""`make run` starts `eid up`: the login service and the demo portal, from embedded defaults."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.servers import free_port


def test_eid_up_serves_the_login_service_and_the_portal(tmp_path: Path) -> None:
    service, portal = free_port(), free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "up", "--service-port", str(service),
         "--portal-port", str(portal)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{portal}/", timeout=2) as r:
                    page = r.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "eid up did not start"
                time.sleep(0.3)
        assert "VNeID" in page
        url = f"http://127.0.0.1:{service}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert json.load(r)["issuer"] == f"http://127.0.0.1:{service}"
        # Embedded defaults only: state lives in the instance folder it creates.
        assert (tmp_path / "instance").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
