"""/healthz, /readyz and /metrics (service.views.ops, service.health, service.metrics)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.config import Settings
from tests.service.flow import LOA2, Flow
from tests.service.stores import SECRET_IN_MESSAGE, break_store

TOKEN = "metrics-token-for-the-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app({"TESTING": True, "EID_SETTINGS": settings.with_(metrics_token=TOKEN)})


def scrape(client: FlaskClient) -> str:
    r = client.get("/metrics", headers=AUTH)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_healthz_is_alive_without_touching_any_store(app: Flask, client: FlaskClient) -> None:
    for store in ("ephemeral", "durable", "registry"):
        break_store(app, store)
    r = client.get("/healthz")
    assert (r.status_code, r.json) == (200, {"status": "ok"})


def test_readyz_is_ready_when_every_store_answers(client: FlaskClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json == {"status": "ready",
                      "stores": {"ephemeral": "ok", "durable": "ok", "registry": "ok"}}


@pytest.mark.parametrize("store", ["ephemeral", "durable", "registry"])
def test_readyz_names_the_store_that_failed_and_nothing_of_its_error(
        app: Flask, client: FlaskClient, store: str) -> None:
    break_store(app, store)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.json is not None and r.json["status"] == "unavailable"
    assert {k for k, v in r.json["stores"].items() if v == "unavailable"} == {store}
    assert "hunter2" not in r.get_data(as_text=True)
    assert sample(scrape(client), "eid_store_errors_total", store=store) == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_operator_endpoints_are_never_cached_and_carry_the_security_headers(
        client: FlaskClient, path: str) -> None:
    r = client.get(path, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_operator_endpoints_are_not_in_discovery(client: FlaskClient) -> None:
    text = client.get("/.well-known/openid-configuration").get_data(as_text=True)
    assert not any(word in text for word in ("healthz", "readyz", "metrics"))


@pytest.mark.parametrize("header", [
    None,
    "Bearer wrong-token-wrong-token-wrong-token",
    f"Basic {TOKEN}",
    f"Bearer {TOKEN}x",
    "Bearer",
])
def test_metrics_need_the_operators_bearer_token(client: FlaskClient, header: str | None) -> None:
    r = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "eid_" not in r.get_data(as_text=True)


def test_without_a_token_there_is_no_metrics_endpoint(settings: Settings) -> None:
    client = create_app({"TESTING": True, "EID_SETTINGS": settings}).test_client()
    assert client.get("/metrics", headers=AUTH).status_code == 404


def test_a_short_metrics_token_is_refused_at_start(settings: Settings) -> None:
    from eid.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as err:
        settings.with_(metrics_token="short")
    assert err.value.code == "invalid_setting"


def test_metrics_are_in_the_prometheus_text_format(client: FlaskClient) -> None:
    r = client.get("/metrics", headers=AUTH)
    assert r.headers["Content-Type"].startswith("text/plain; version=")
    text = r.get_data(as_text=True)
    for name in ("eid_http_requests_total", "eid_http_request_duration_seconds",
                 "eid_logins_total", "eid_tokens_issued_total", "eid_store_errors_total"):
        assert f"# TYPE {name} " in text


def test_every_series_of_logins_tokens_and_stores_starts_at_zero(client: FlaskClient) -> None:
    text = scrape(client)
    for outcome in ("succeeded", "failed", "locked"):
        assert f'eid_logins_total{{outcome="{outcome}"}} 0.0' in text
    for grant in ("authorization_code", "refresh_token"):
        assert f'eid_tokens_issued_total{{grant_type="{grant}"}} 0.0' in text
    for store in ("ephemeral", "durable", "registry"):
        assert f'eid_store_errors_total{{store="{store}"}} 0.0' in text


def test_a_flow_counts_a_login_a_token_and_each_endpoint(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    assert flow.redeem(auth).status_code == 200
    text = scrape(app.test_client())
    assert sample(text, "eid_logins_total", outcome="succeeded") == 1
    assert sample(text, "eid_tokens_issued_total", grant_type="authorization_code") == 1
    assert sample(text, "eid_http_requests_total", endpoint="api.token", method="POST",
                  status="200") == 1
    assert sample(text, "eid_http_requests_total", endpoint="authorize.authorize",
                  method="GET", status="302") == 1
    assert sample(text, "eid_http_request_duration_seconds_count", endpoint="api.token") == 1


def test_a_refused_token_request_issues_no_token(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.authorize(auth)
    assert flow.redeem(auth).status_code == 200
    assert flow.redeem(auth).status_code == 400  # a code is single-use
    text = scrape(app.test_client())
    assert sample(text, "eid_tokens_issued_total", grant_type="authorization_code") == 1
    assert sample(text, "eid_http_requests_total", endpoint="api.token", status="400") == 1


def test_wrong_passwords_count_as_failed_then_locked(app: Flask, flow: Flow) -> None:
    auth = flow.request()
    flow.start(auth)
    for _ in range(app.extensions["eid"].settings.lockout_after + 2):
        flow.submit_login(LOA2[0], "not-the-password", auth.req_id)
    text = scrape(app.test_client())
    assert sample(text, "eid_logins_total", outcome="failed") == 4   # slots 1..4: wrong
    assert sample(text, "eid_logins_total", outcome="locked") == 3   # the 5th, then refused
    assert sample(text, "eid_logins_total", outcome="succeeded") == 0


def test_the_endpoint_label_is_the_route_never_the_raw_path(client: FlaskClient) -> None:
    for n in range(5):
        client.get(f"/no-such-page-{n}-{'x' * 40}")
    client.open("/no-such-page", method="BREW")
    text = scrape(client)
    assert "no-such-page" not in text
    assert sample(text, "eid_http_requests_total", endpoint="none", method="GET",
                  status="404") == 5
    assert sample(text, "eid_http_requests_total", endpoint="none", method="other") == 1


def test_a_store_outage_at_a_request_is_counted_per_store(app: Flask, flow: Flow) -> None:
    break_store(app, "ephemeral")
    r = flow.token({"grant_type": "authorization_code", "code": "x",
                    "redirect_uri": "http://127.0.0.1:5001/auth/callback",
                    "code_verifier": "v" * 43})
    assert r.status_code == 503
    text = scrape(app.test_client())
    assert sample(text, "eid_store_errors_total", store="ephemeral") == 1
    assert sample(text, "eid_store_errors_total", store="durable") == 0
    assert SECRET_IN_MESSAGE not in text


def test_each_logged_release_is_counted_per_action(app: Flask, flow: Flow) -> None:
    text = scrape(app.test_client())
    assert 'eid_data_releases_total{action="userinfo"} 0.0' in text
    auth = flow.request()
    flow.authorize(auth)
    token = flow.redeem(auth).json["access_token"]  # type: ignore[index]
    flow.api.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    text = scrape(app.test_client())
    assert sample(text, "eid_data_releases_total", action="userinfo") == 1
    assert sample(text, "eid_data_releases_total", action="id_token") == 0
