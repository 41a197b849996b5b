"""`make run` starts `eid up`: the login service, the demo portal and the demo receiving
office, from embedded defaults."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.servers import free_port, wait_until_serving


def test_eid_up_serves_the_login_service_the_portal_and_the_office(tmp_path: Path) -> None:
    service, portal, office = free_port(), free_port(), free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "up", "--service-port", str(service),
         "--portal-port", str(portal), "--office-port", str(office)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = wait_until_serving(f"http://127.0.0.1:{portal}/", proc, "eid up").decode()
        assert "VNeID" in page
        url = f"http://127.0.0.1:{service}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert json.load(r)["issuer"] == f"http://127.0.0.1:{service}"
        with urllib.request.urlopen(f"http://127.0.0.1:{office}/", timeout=5) as r:
            assert 'id="dossier-file"' in r.read().decode()
        # Embedded defaults only: state lives in the instance folder it creates.
        assert (tmp_path / "instance").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
