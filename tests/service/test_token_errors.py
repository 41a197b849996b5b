"""Failure tables of the token endpoint: codes are single-use, short-lived and bound."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time

from tests.service.flow import HCM, NATIONAL, Flow, Portal

# Mutation of the token request → the OAuth error.
REQUEST_ERRORS: dict[str, tuple[dict[str, Any], str, int]] = {
    "wrong verifier": ({"code_verifier": "x" * 43}, "invalid_grant", 400),
    "missing verifier": ({"code_verifier": None}, "invalid_grant", 400),
    "wrong redirect URI": ({"redirect_uri": "http://127.0.0.1:5001/other"}, "invalid_grant", 400),
    "missing redirect URI": ({"redirect_uri": None}, "invalid_grant", 400),
    "unknown code": ({"code": "not-a-code"}, "invalid_grant", 400),
    "missing code": ({"code": None}, "invalid_request", 400),
    "missing grant_type": ({"grant_type": None}, "invalid_request", 400),
    "password grant": ({"grant_type": "password"}, "unsupported_grant_type", 400),
}


def _good(flow: Flow, portal: Portal = HCM, **extra: str) -> tuple[Any, dict[str, str]]:
    auth = flow.request(portal, **extra)
    flow.authorize(auth)
    data = {"grant_type": "authorization_code", "code": auth.code,
            "redirect_uri": portal.redirect_uri, "code_verifier": auth.verifier}
    return auth, data


@pytest.mark.parametrize(("mutation", "error", "status"), REQUEST_ERRORS.values(),
                         ids=REQUEST_ERRORS.keys())
def test_bad_token_requests(flow: Flow, mutation: dict[str, Any], error: str,
                            status: int) -> None:
    _, data = _good(flow)
    data.update(mutation)
    r = flow.token({k: v for k, v in data.items() if v is not None})
    assert r.status_code == status
    assert r.json["error"] == error
    assert r.headers["Cache-Control"] == "no-store"


CLIENT_ERRORS = {
    "wrong secret": ({"Authorization": "Basic Y29uZy1kdmMtaGNtOndyb25n"}, {}),
    "unknown client": ({}, {"client_id": "nobody", "client_secret": "x" * 20}),
    "no authentication": ({}, {"client_id": "cong-dvc-hcm"}),
    "post-only client using basic": (
        {"Authorization": "Basic Y29uZy1kdmMtcXVvYy1naWEtZGVtbzpkZW1vLW5hdGlvbmFsLXBvcnRhbC1z"
                          "ZWNyZXQtMjAyNg=="}, {}),
}


@pytest.mark.parametrize(("headers", "form"), CLIENT_ERRORS.values(), ids=CLIENT_ERRORS.keys())
def test_client_authentication_failures_are_invalid_client(
        flow: Flow, headers: dict[str, str], form: dict[str, str]) -> None:
    _, data = _good(flow)
    r = flow.api.post("/token", data={**data, **form}, headers=headers)
    assert r.status_code == 401
    assert r.json["error"] == "invalid_client"


def test_code_reuse_fails_and_revokes_the_tokens_issued_from_it(flow: Flow) -> None:
    _, data = _good(flow)
    first = flow.token(data).json
    assert flow.introspect(first["access_token"])["active"] is True
    again = flow.token(data)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert flow.introspect(first["access_token"]) == {"active": False}
    r = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert r.status_code == 401


def test_code_reuse_after_30_seconds_also_fails(flow: Flow) -> None:
    with freeze_time() as frozen:
        _, data = _good(flow)
        first = flow.token(data).json
        frozen.tick(30)
        assert flow.token(data).json["error"] == "invalid_grant"
        assert flow.introspect(first["access_token"])["active"] is False


def test_code_expires_after_60_seconds(flow: Flow) -> None:
    with freeze_time() as frozen:
        _, data = _good(flow)
        frozen.tick(61)
        r = flow.token(data)
        assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_code_issued_to_another_client_is_refused(flow: Flow) -> None:
    _, data = _good(flow)
    data["redirect_uri"] = NATIONAL.redirect_uri
    r = flow.token(data, NATIONAL)
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_get_on_token_endpoint_is_refused(flow: Flow) -> None:
    r = flow.api.get("/token")
    assert r.status_code == 405
    assert r.json["error"] == "invalid_request"


def test_concurrent_redemptions_of_one_code_succeed_at_most_once(flow: Flow) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _, data = _good(flow)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: flow.app.test_client().post(
            "/token", data={**data, "client_id": HCM.client_id},
            headers=flow.client_auth(HCM)[0]).status_code, range(8)))
    assert statuses.count(200) == 1
    assert statuses.count(400) == 7


def _basic(raw: bytes) -> str:
    import base64

    return "Basic " + base64.b64encode(raw).decode()


# A malformed Basic header (RFC 6749 §2.3.1, RFC 7617 §2) → 401 invalid_client with a challenge.
MALFORMED_BASIC = {
    "bad base64": "Basic !!!not-base64!!!",
    "base64 with junk": "Basic Y29uZy1kdmMtaGNtOng=junk",
    "no colon": _basic(b"cong-dvc-hcm"),
    "bad percent-encoding in id": _basic(b"cong-dvc-hcm%zz:demo-hcm-portal-secret-2026"),
    "bad percent-encoding in secret": _basic(b"cong-dvc-hcm:demo%"),
    "non-UTF-8 bytes": _basic(b"cong-dvc-hcm:\xff\xfe"),
    "non-UTF-8 after percent-decoding": _basic(b"cong-dvc-hcm:%ff%fe"),
    "empty credentials": "Basic ",
    "no credentials at all": "Basic",
}


@pytest.mark.parametrize("header", MALFORMED_BASIC.values(), ids=MALFORMED_BASIC.keys())
def test_malformed_basic_header_is_invalid_client_with_a_challenge(
        flow: Flow, header: str) -> None:
    r = flow.api.post("/token", data={"grant_type": "authorization_code", "code": "x"},
                      headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_percent_encoded_basic_credentials_still_work(flow: Flow) -> None:
    """RFC 6749 §2.3.1: id and secret are form-encoded before base64."""
    _, data = _good(flow)
    r = flow.api.post("/token", data=data, headers={
        "Authorization": _basic(b"cong%2Ddvc%2Dhcm:demo-hcm-portal-secret-2026")})
    assert r.status_code == 200, r.json
