"""The login service on PostgreSQL (EID_DATABASE_URL): a full flow, what it does without a
registry, and a server restart in the middle of a small load of flows."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from flask import Flask

from eid.errors import ConfigurationError
from eid.population.postgres import PostgresRegistry
from eid.storage import PostgresDurableStore
from service import create_app
from service.config import Settings
from tests.servers import PostgresServer
from tests.service.flow import LOA2, TEST_CLIENT, Flow, query

HEADER = "X-Eid-Test-Identity"


def _app(tmp_path: Path, url: str, *, test_mode: bool = True) -> Flask:
    settings = Settings(instance=tmp_path, database_url=url, test_mode=test_mode,
                        backchannel_thread=False)
    return create_app({"TESTING": True, "EID_SETTINGS": settings})


def _flow(flow: Flow) -> tuple[int, str | None]:
    """One silent test-mode flow up to the tokens: (final status, refresh token)."""
    auth = flow.request(TEST_CLIENT, scope="openid profile offline_access")
    r = flow.browser.get("/authorize", query_string=auth.params, headers={HEADER: LOA2[0]})
    if r.status_code != 302:
        return r.status_code, None
    answer = query(r.location)
    if "error" in answer:
        # RFC 6749 §4.1.2.1: an outage after the client and redirect URI were checked goes
        # back to the portal as temporarily_unavailable; counted as the 503 it stands for.
        return (503 if answer["error"] == "temporarily_unavailable" else 0), None
    code = answer["code"]
    t = flow.token({"grant_type": "authorization_code", "code": code,
                    "redirect_uri": auth.params["redirect_uri"],
                    "code_verifier": auth.verifier}, TEST_CLIENT)
    if t.status_code != 200:
        return t.status_code, None
    return 200, str(t.json["refresh_token"])


def test_a_full_flow_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    app = _app(tmp_path, postgres_url)
    provider = app.extensions["eid"]
    assert isinstance(provider.durable, PostgresDurableStore)
    assert isinstance(provider.registry, PostgresRegistry)
    flow = Flow(app)
    auth = flow.request(scope="openid profile offline_access")
    flow.authorize(auth, LOA2)  # the login form: the password checked against PostgreSQL
    body = flow.redeem(auth).json
    flow.verify(body["id_token"], nonce="n-456", access_token=body["access_token"])
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json["name"] == "Nguyễn Văn Hùng"
    assert provider.durable.consent(LOA2[0], auth.params["client_id"]) is not None
    # A second instance on the same database: the same keys, the grant, the refresh token.
    other = Flow(_app(tmp_path / "other", postgres_url))
    refreshed = other.token({"grant_type": "refresh_token",
                             "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.json


def test_an_account_locked_after_sign_in_redeems_no_code(tmp_path: Path,
                                                         postgres_url: str) -> None:
    # The registry keeps its logins' citizens decoded (service.provider); the row is read
    # at every step all the same, so a lock written by another process stops the flow.
    app = _app(tmp_path, postgres_url)
    assert app.extensions["eid"].registry.get(LOA2[0]) is app.extensions["eid"].registry.get(
        LOA2[0])  # kept: the same row read back is not decoded again
    flow = Flow(app)
    auth = flow.request(TEST_CLIENT, scope="openid profile")
    r = flow.browser.get("/authorize", query_string=auth.params, headers={HEADER: LOA2[0]})
    code = query(r.location)["code"]
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE citizens SET record = replace(record, '\"active\"', '\"locked\"')"
                     " WHERE id_number = %s", (int(LOA2[0]),))
    t = flow.token({"grant_type": "authorization_code", "code": code,
                    "redirect_uri": auth.params["redirect_uri"],
                    "code_verifier": auth.verifier}, TEST_CLIENT)
    assert t.status_code == 400
    assert t.json["error"] == "invalid_grant"


def test_without_test_mode_a_database_without_a_registry_refuses_to_start(
        tmp_path: Path, postgres_url: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        _app(tmp_path, postgres_url, test_mode=False)
    assert err.value.code == "registry_missing"
    assert "eid population generate" in str(err.value)


def test_without_test_mode_an_empty_registry_refuses_to_start(
        tmp_path: Path, postgres_url: str) -> None:
    PostgresRegistry(postgres_url, create=True).close()
    with pytest.raises(ConfigurationError) as err:
        _app(tmp_path, postgres_url, test_mode=False)
    assert err.value.code == "registry_empty"


def test_test_mode_loads_the_fixture_citizens_into_an_empty_registry_once(
        tmp_path: Path, postgres_url: str) -> None:
    _app(tmp_path, postgres_url)
    _app(tmp_path / "again", postgres_url)  # a restart finds them loaded
    with PostgresRegistry(postgres_url) as registry:
        assert len(registry) == 32


def test_an_explicit_registry_file_wins_over_the_database(
        tmp_path: Path, postgres_url: str) -> None:
    from eid.population import default_identities_path

    settings = Settings(instance=tmp_path, database_url=postgres_url, test_mode=True,
                        backchannel_thread=False, registry=default_identities_path())
    app = create_app({"TESTING": True, "EID_SETTINGS": settings})
    assert not isinstance(app.extensions["eid"].registry, PostgresRegistry)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT to_regclass('citizens')").fetchone() == (None,)


@pytest.mark.parametrize(("env", "code"), [
    ({"EID_DATABASE_URL": "mysql://db/eid"}, "invalid_setting"),
    ({"EID_DATABASE_URL": "instance/eid.sqlite"}, "invalid_setting"),
    ({"EID_REGISTRY_DATABASE_URL": "redis://db/0"}, "invalid_setting"),
])
def test_a_database_url_must_be_postgresql(env: dict[str, str], code: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        Settings.from_env(env)
    assert err.value.code == code


def test_the_database_url_is_read_and_kept_out_of_repr() -> None:
    settings = Settings.from_env({"EID_DATABASE_URL": "postgresql://eid:s3cret@db/eid"})
    assert settings.database_url == "postgresql://eid:s3cret@db/eid"
    assert "s3cret" not in repr(settings)


def test_registry_lookups_can_go_to_another_database(
        tmp_path: Path, postgres: PostgresServer, postgres_url: str) -> None:
    # As they would to read replicas: the durable store stays on the primary.
    registry_url = postgres.create_database(f"{postgres_url.rsplit('/', 1)[1]}_registry")
    settings = Settings(instance=tmp_path, database_url=postgres_url, test_mode=True,
                        backchannel_thread=False, registry_database_url=registry_url)
    create_app({"TESTING": True, "EID_SETTINGS": settings})
    with PostgresRegistry(registry_url) as registry:
        assert len(registry) == 32
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT to_regclass('citizens')").fetchone() == (None,)


def test_a_database_url_and_a_durable_file_exclude_each_other() -> None:
    with pytest.raises(ConfigurationError):
        Settings(database_url="postgresql://db/eid", durable_path=":memory:")


def test_a_restart_under_load_is_503_then_recovers_and_loses_nothing(
        tmp_path: Path, postgres: PostgresServer, postgres_url: str) -> None:
    app = _app(tmp_path, postgres_url)
    statuses: Counter[int] = Counter()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def driver() -> None:
        flow = Flow(app)
        for _ in range(200):  # bounded, whatever happens
            if stop.is_set():
                return
            status, refresh = _flow(flow)
            with lock:
                statuses[status] += 1
                if refresh is not None:
                    acknowledged.append(refresh)

    def wait_for(status: int, count: int, bound: float) -> None:
        deadline = time.monotonic() + bound
        while statuses[status] < count:
            assert time.monotonic() < deadline, f"waiting for {count} x {status}: {statuses}"
            time.sleep(0.05)

    threads = [threading.Thread(target=driver) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        wait_for(200, 3, 30)
        postgres.stop()
        try:
            wait_for(503, 1, 30)
        finally:
            postgres.start()
        before = statuses[200]
        wait_for(200, before + 3, 60)  # recovered without restarting the app
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert set(statuses) <= {200, 503}, statuses  # never a 500, never a hang
    flow = Flow(app)
    for refresh in acknowledged:  # every grant that was acknowledged is still there
        r = flow.token({"grant_type": "refresh_token", "refresh_token": refresh}, TEST_CLIENT)
        assert r.status_code == 200, r.json
    assert app.extensions["eid"].durable.consent(LOA2[0], TEST_CLIENT.client_id) is not None


def test_eid_keys_rotates_the_keys_in_the_database(
        tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from eid.cli import main

    _app(tmp_path, postgres_url)  # a first start creates the keys
    monkeypatch.setenv("EID_DATABASE_URL", postgres_url)
    monkeypatch.delenv("EID_INSTANCE", raising=False)
    assert main(["keys", "rotate", "--alg", "ES256"]) == 0
    capsys.readouterr()
    assert main(["keys", "list", "--json"]) == 0
    states = sorted(row["state"] for row in json.loads(capsys.readouterr().out))
    assert states == ["current", "current", "next"]


def test_two_instances_starting_at_once_on_an_empty_database_share_one_state(
        tmp_path: Path, postgres_url: str) -> None:
    start = threading.Barrier(2)
    apps: list[Flask] = []
    failures: list[BaseException] = []

    def start_one(n: int) -> None:
        start.wait(timeout=10)
        try:
            apps.append(_app(tmp_path / str(n), postgres_url))
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=start_one, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == [] and len(apps) == 2
    first, second = (app.extensions["eid"] for app in apps)
    assert first.pairwise_secret == second.pairwise_secret
    assert len(first.registry) == 32  # the fixture citizens, loaded once
    jwks = [Flow(app).api.get("/jwks").json for app in apps]
    assert jwks[0] == jwks[1]  # one set of signing keys
