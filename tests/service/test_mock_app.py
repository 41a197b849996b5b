"""The mock's own screens and routes under Flask's test client, and the ``eid mock`` command."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.cli import main
from eid.errors import ConfigurationError
from eid.oidc import make_pkce
from eid.population.fixtures import load_citizens
from service import create_app
from service.config import Settings

HUNG = "074078000101"  # fixtures/README.md: LoA2
LOCKED = "079090001313"  # locked account
ROOT = Path(__file__).resolve().parents[2]
CONTROL_ROUTES = [("POST", "/__mock__/next-error"), ("POST", "/__mock__/rotate-keys"),
                  ("POST", "/__mock__/reset"), ("GET", "/__mock__/state"),
                  ("POST", "/login/pick")]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(keys: Path, tmp_path: Path, **settings: object) -> Flask:
    db = tmp_path / "eid.sqlite"
    shutil.copy(keys, db)
    return create_app({"TESTING": True, "EID_SETTINGS": Settings(
        instance=tmp_path, durable_path=str(db), **settings)})  # type: ignore[arg-type]


@pytest.fixture
def mock_client(eid_mock_keys: Path, tmp_path: Path) -> FlaskClient:
    return make_app(eid_mock_keys, tmp_path, test_mode=True, mock=True).test_client()


def authorize(client: FlaskClient) -> str:
    """Start an authorization request as the test client; the login page's URL."""
    _, challenge = make_pkce()
    resp = client.get("/authorize", query_string={
        "response_type": "code", "client_id": "eid-test-client", "scope": "openid profile",
        "redirect_uri": "http://127.0.0.1:9999/cb", "state": "s-1",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert resp.status_code == 302 and "/login?req=" in resp.location
    return resp.location


@pytest.mark.parametrize("test_mode", [False, True])
@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_mock_routes_do_not_exist_in_the_normal_service(
        method: str, path: str, test_mode: bool, eid_mock_keys: Path, tmp_path: Path) -> None:
    client = make_app(eid_mock_keys, tmp_path, test_mode=test_mode).test_client()
    assert client.open(path, method=method, json={}).status_code == 404


def test_the_normal_login_page_has_no_picker(eid_mock_keys: Path, tmp_path: Path) -> None:
    client = make_app(eid_mock_keys, tmp_path, test_mode=True).test_client()
    page = client.get(authorize(client)).get_data(as_text=True)
    assert 'id="login-form"' in page
    assert "mock-picker" not in page


def test_the_picker_lists_every_fixture_identity(mock_client: FlaskClient) -> None:
    page = mock_client.get(authorize(mock_client)).get_data(as_text=True)
    assert 'id="login-form"' in page  # the normal form is still there
    listed = re.findall(r'<li data-id-number="(\d+)" data-level="(\w*)" data-status="(\w+)"',
                        page)
    fixtures = load_citizens()
    assert sorted(row[0] for row in listed) == sorted(c.id_number for c in fixtures)
    by_id = {row[0]: row for row in listed}
    assert by_id[HUNG][1:] == ("LoA2", "active")
    assert by_id[LOCKED][2] == "locked"
    assert "Nguyễn Văn Hùng" in page


def test_picking_an_identity_signs_in_and_still_asks_consent(mock_client: FlaskClient) -> None:
    login_url = authorize(mock_client)
    page = mock_client.get(login_url).get_data(as_text=True)
    req = login_url.split("req=")[1]
    match = _CSRF.search(page)
    assert match
    resp = mock_client.post("/login/pick", data={"csrf_token": match.group(1), "req": req,
                                                 "id_number": HUNG})
    assert resp.status_code == 302 and "/authorize/resume" in resp.location
    resp = mock_client.get(resp.location)
    assert resp.status_code == 302 and "/consent?req=" in resp.location


def test_picking_a_locked_account_is_refused_on_the_login_page(
        mock_client: FlaskClient) -> None:
    login_url = authorize(mock_client)
    page = mock_client.get(login_url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match
    resp = mock_client.post("/login/pick", data={
        "csrf_token": match.group(1), "req": login_url.split("req=")[1], "id_number": LOCKED})
    assert resp.status_code == 200
    assert 'id="login-error"' in resp.get_data(as_text=True)


def test_the_control_api_refuses_remote_callers(mock_client: FlaskClient) -> None:
    resp = mock_client.get("/__mock__/state", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert resp.status_code == 403
    assert mock_client.get("/__mock__/state").status_code == 200


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        # DNS rebinding: evil.test now resolves to 127.0.0.1, so the peer is loopback.
        ({"Host": "evil.test"}, "untrusted_host"),
        ({"Host": "evil.test:5000"}, "untrusted_host"),
        ({"Host": "127.0.0.1.evil.test"}, "untrusted_host"),
        ({"Host": "localhost.evil.test"}, "untrusted_host"),
        ({"Host": "user@127.0.0.1"}, "untrusted_host"),
        ({"Host": "127.0.0.1:port"}, "untrusted_host"),
        ({"Host": "10.0.0.1"}, "untrusted_host"),
        ({"Host": "[::2]:5000"}, "untrusted_host"),
        ({"Host": "127.0.0.1", "Origin": "http://evil.test"}, "untrusted_origin"),
        ({"Host": "127.0.0.1", "Origin": "http://evil.test:5000"}, "untrusted_origin"),
        ({"Host": "127.0.0.1", "Origin": "null"}, "untrusted_origin"),
        ({"Host": "127.0.0.1", "Origin": "file://"}, "untrusted_origin"),
        ({"Host": "127.0.0.1", "Origin": "http://127.0.0.1.evil.test"}, "untrusted_origin"),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/__mock__/state"),
                                              ("POST", "/__mock__/reset")])
def test_the_control_api_refuses_foreign_hosts_and_origins(
        headers: dict[str, str], code: str, method: str, path: str,
        mock_client: FlaskClient) -> None:
    resp = mock_client.open(path, method=method, headers=headers, json={})
    assert resp.status_code == 403
    assert resp.json is not None and resp.json["error"] == code


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "127.0.0.1"},
        {"Host": "127.0.0.1:5000"},
        {"Host": "127.1.2.3:5000"},
        {"Host": "localhost"},
        {"Host": "LOCALHOST:5000"},
        {"Host": "[::1]"},
        {"Host": "[::1]:5000"},
        {"Host": "127.0.0.1:5000", "Origin": "http://127.0.0.1:5000"},
        {"Host": "localhost:5000", "Origin": "http://localhost:8080"},
        {"Host": "[::1]:5000", "Origin": "https://[::1]:5000"},
    ],
)
def test_the_control_api_answers_loopback_hosts(headers: dict[str, str],
                                                mock_client: FlaskClient) -> None:
    assert mock_client.get("/__mock__/state", headers=headers).status_code == 200
    assert mock_client.post("/__mock__/reset", headers=headers, json={}).status_code == 200


def test_the_control_api_wants_json_posts(mock_client: FlaskClient) -> None:
    # A cross-site form cannot send application/json without a preflight.
    resp = mock_client.post("/__mock__/reset", data={"x": "1"})
    assert resp.status_code == 415
    assert mock_client.post("/__mock__/reset", json={}).status_code == 200


@pytest.mark.parametrize("settings", [{"mock": True}, {"persona": HUNG},
                                      {"test_redirect_uris": ("http://localhost/cb",)},
                                      {"test_mode": True, "mock": True,
                                       "test_redirect_uris": ("javascript:alert(1)",)}])
def test_mock_settings_are_validated(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Settings(**settings)  # type: ignore[arg-type]


# --- the command ----------------------------------------------------------------------------
def test_invalid_identities_file_exits_3_with_a_clear_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "people.json"
    record = dict(json.loads((ROOT / "fixtures" / "identities.json").read_text())["citizens"][0])
    record["sex"] = "robot"
    bad.write_text(json.dumps({"citizens": [record]}), encoding="utf-8")
    assert main(["mock", "--identities", str(bad)]) == 3
    err = capsys.readouterr().err
    assert "people.json" in err and "citizens[0]" in err and "sex" in err


def test_missing_identities_file_exits_4(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Not 3, the code for a malformed file: the file is not there to fix.
    assert main(["mock", "--identities", str(tmp_path / "nobody.json")]) == 4
    err = capsys.readouterr().err
    assert "nobody.json" in err and "data_file_missing" in err


@pytest.mark.parametrize("persona", ["074199999999", LOCKED])
def test_a_persona_that_cannot_sign_in_is_a_usage_error(
        persona: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", "--persona", persona]) == 2
    assert persona in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        answer: dict[str, object] = json.loads(resp.read())
        return answer


@pytest.mark.slow
def test_eid_mock_serves_the_mock_from_the_command_line() -> None:
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "eid.cli", "mock", "--port", str(port), "--persona", HUNG],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                state = _get_json(url + "/__mock__/state")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert state["persona"] == HUNG
        assert state["issuer"] == url
        assert _get_json(url + "/.well-known/openid-configuration")["issuer"] == url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rotate_keys_switches_at_once_and_refuses_while_a_rotation_is_pending(
        mock_client: FlaskClient) -> None:
    keys = mock_client.application.extensions["eid"].keys
    old = keys.signing_key("ES256").kid
    resp = mock_client.post("/__mock__/rotate-keys", json={"alg": "ES256"})
    assert resp.status_code == 200
    assert keys.signing_key("ES256").kid != old  # the mock's rotation is immediate
    keys.rotate("ES256", delay=600)  # as `eid keys rotate` on the mock's instance would
    resp = mock_client.post("/__mock__/rotate-keys", json={"alg": "ES256"})
    assert resp.status_code == 400
    assert "already waiting" in resp.json["error_description"]


def test_the_mock_registers_clients_openly_and_they_sign_in_with_the_picker(
        mock_client: FlaskClient) -> None:
    # Issue 12: registration is open in the mock, as in test mode (no initial access token).
    r = mock_client.post("/register", json={
        "redirect_uris": ["http://127.0.0.1:7100/cb"], "client_name": "Cổng thử"})
    assert r.status_code == 201, r.json
    _, challenge = make_pkce()
    resp = mock_client.get("/authorize", query_string={
        "response_type": "code", "client_id": r.json["client_id"], "scope": "openid",
        "redirect_uri": "http://127.0.0.1:7100/cb", "state": "s-1",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert resp.status_code == 302 and "/login?req=" in resp.location
    assert b"/login/pick" in mock_client.get(resp.location).data
