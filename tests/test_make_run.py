"""`make run` starts `eid up`: the login service, the demo portal and the demo receiving
office, from embedded defaults."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.servers import free_port, wait_until_serving


class _Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # look at the redirect itself


def _no_redirect(url: str) -> http.client.HTTPResponse:
    try:
        urllib.request.build_opener(_Keep).open(url, timeout=10)
    except urllib.error.HTTPError as exc:  # a 3xx not followed comes back as this
        return exc  # type: ignore[return-value]
    raise AssertionError(f"{url} did not redirect")


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
        # The demo portal's callback is registered for the port it got (not 5001): a
        # login started there reaches the login screen, not "redirect_uri is not registered".
        start = _no_redirect(f"http://127.0.0.1:{portal}/auth/login?next=/")
        assert start.status == 302
        authorize = _no_redirect(start.headers["Location"])
        assert authorize.status == 302 and "/login" in authorize.headers["Location"]
        # Embedded defaults only: state lives in the instance folder it creates.
        assert (tmp_path / "instance").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
