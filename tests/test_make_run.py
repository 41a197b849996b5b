"""`make run` starts `eid up`: the login service and the demo portal, from embedded defaults."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.servers import free_port, wait_until_serving


def test_eid_up_serves_the_login_service_and_the_portal(tmp_path: Path) -> None:
    service, portal = free_port(), free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "up", "--service-port", str(service),
         "--portal-port", str(portal)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = wait_until_serving(f"http://127.0.0.1:{portal}/", proc, "eid up").decode()
        assert "VNeID" in page
        url = f"http://127.0.0.1:{service}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert json.load(r)["issuer"] == f"http://127.0.0.1:{service}"
        # Embedded defaults only: state lives in the instance folder it creates.
        assert (tmp_path / "instance").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
