"""`eid serve` over real HTTP: the command starts, binds loopback, and a login works."""

from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from eid.oidc import make_pkce
from eid.verify import verify_id_token
from tests.servers import free_port, wait_until_serving
from tests.service.flow import HCM, LOA2, TEST_CLIENT, csrf_of


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _eid() -> str:
    return str(Path(sys.executable).parent / "eid")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "EID_INSTANCE": str(tmp_path_factory.mktemp("instance")),
           "EID_TEST_MODE": "1"}
    env.pop("EID_ISSUER", None)
    env.pop("EID_REDIS_URL", None)
    proc = subprocess.Popen([_eid(), "serve", "--port", str(port)], env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        discovery = wait_until_serving(f"{base}/.well-known/openid-configuration", proc,
                                       "eid serve")
        assert json.loads(discovery)["issuer"] == base
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _opener() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)


def _open(opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """(status, headers, body); the headers looked up without regard to case, as HTTP
    field names are (RFC 9110 §5.1): granian sends them in lower case."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def _params(client_id: str, redirect_uri: str, challenge: str) -> str:
    return urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "openid profile", "state": "s1", "nonce": "n1", "code_challenge": challenge,
        "code_challenge_method": "S256"})


def _token(base: str, client_id: str, secret: str, code: str, redirect_uri: str,
           verifier: str) -> dict[str, Any]:
    status, headers, text = _open(_opener(), f"{base}/token", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "code_verifier": verifier, "client_id": client_id, "client_secret": secret})
    assert status == 200, text
    assert headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = json.loads(text)
    return body


def test_login_consent_and_token_over_http(server: str) -> None:
    browser = _opener()
    verifier, challenge = make_pkce()
    status, headers, _ = _open(browser, f"{server}/authorize?"
                               + _params(HCM.client_id, HCM.redirect_uri, challenge))
    assert status == 302
    login_url = server + headers["Location"]
    _, _, page = _open(browser, login_url)
    req_id = urllib.parse.parse_qs(urllib.parse.urlsplit(login_url).query)["req"][0]
    status, headers, _ = _open(browser, f"{server}/login", {
        "csrf_token": csrf_of(page), "req": req_id, "id_number": LOA2[0], "password": LOA2[1]})
    assert status == 302
    _, headers, _ = _open(browser, server + headers["Location"])
    _, _, consent = _open(browser, server + headers["Location"])
    status, headers, _ = _open(browser, f"{server}/consent", {
        "csrf_token": csrf_of(consent), "req": req_id, "decision": "approve"})
    assert status == 302 and headers["Location"].startswith(HCM.redirect_uri)
    result = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))
    assert result["iss"] == server and result["state"] == "s1"
    body = _token(server, HCM.client_id, HCM.secret, result["code"], HCM.redirect_uri, verifier)
    _, _, jwks = _open(_opener(), f"{server}/jwks")
    claims = verify_id_token(body["id_token"], issuer=server, audience=HCM.client_id,
                             jwks=json.loads(jwks), nonce="n1")
    assert claims["acr"] == "LoA2"


def test_test_mode_header_over_http(server: str) -> None:
    verifier, challenge = make_pkce()
    status, headers, _ = _open(
        _opener(), f"{server}/authorize?"
        + _params(TEST_CLIENT.client_id, TEST_CLIENT.redirect_uri, challenge),
        headers={"X-Eid-Test-Identity": LOA2[0]})
    assert status == 302 and headers["Location"].startswith(TEST_CLIENT.redirect_uri)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))["code"]
    body = _token(server, TEST_CLIENT.client_id, TEST_CLIENT.secret, code,
                  TEST_CLIENT.redirect_uri, verifier)
    status, _, text = _open(_opener(), f"{server}/userinfo",
                            headers={"Authorization": f"Bearer {body['access_token']}"})
    assert status == 200 and json.loads(text)["name"] == "Nguyễn Văn Hùng"


def _rp_login(server: str, who: str, **kw: Any) -> tuple[Any, Any]:
    from eid.oidc import RelyingParty

    # The test header signs in for test clients only (issue 10 item 11).
    rp = RelyingParty(issuer=server, client_id=TEST_CLIENT.client_id,
                      client_secret=TEST_CLIENT.secret, redirect_uri=TEST_CLIENT.redirect_uri,
                      scopes=("openid", "profile", "offline_access"))
    url, pending = rp.start_login(**kw)
    status, headers, _ = _open(_opener(), url, headers={"X-Eid-Test-Identity": who})
    assert status == 302
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(headers["Location"]).query))
    return rp, lambda: rp.complete_login(params, pending)


def test_the_eid_relying_party_against_the_service(server: str) -> None:
    rp, complete = _rp_login(server, LOA2[0], acr="LoA2")
    result = complete()
    assert result.acr == "LoA2"
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
    assert result.tokens.refresh_token
    fresh = rp.refresh(result.tokens.refresh_token, subject=result.subject)
    assert fresh.refresh_token != result.tokens.refresh_token
    rp.revoke(fresh.refresh_token)


def test_the_relying_party_gets_an_oidc_error_below_the_level(server: str) -> None:
    from eid.errors import UnmetAuthenticationRequirements

    _, complete = _rp_login(server, "074209000303", acr="LoA2")  # a level-1 account
    with pytest.raises(UnmetAuthenticationRequirements):
        complete()


def _chunked(server: str, path: str, body: bytes) -> tuple[int, str]:
    """POST ``body`` with Transfer-Encoding: chunked (which the Flask test client cannot send)."""
    import http.client

    host, _, port = urllib.parse.urlsplit(server).netloc.partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
        conn.request("POST", path, body=chunks, encode_chunked=True, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_chunked_body_over_the_limit_is_refused_with_413(server: str) -> None:
    """Issue 10: a chunked body over MAX_CONTENT_LENGTH is refused, not cut at the limit."""
    # Form fields that, cut at 64 KiB, would still parse as a complete request.
    body = ("client_id=x&client_secret=y&grant_type=refresh_token&pad=" + "a" * 70_000
            + "&refresh_token=z").encode()
    status, text = _chunked(server, "/token", body)
    assert status == 413, text


def test_chunked_body_under_the_limit_is_read_whole(server: str) -> None:
    body = urllib.parse.urlencode({"token": "t", "client_id": HCM.client_id,
                                   "client_secret": HCM.secret}).encode()
    status, text = _chunked(server, "/introspect", body)
    assert status == 200, text
    assert json.loads(text) == {"active": False}
