"""Security headers, cookies, discovery truthfulness, bearer errors and test mode."""

from __future__ import annotations

import pytest
from flask import Flask
from freezegun import freeze_time

from eid.prefill.loader import default_catalogue
from service import create_app
from service.config import Settings
from tests.service.flow import HCM, LOA1, LOA2, NATIONAL, TEST_CLIENT, Flow, Portal, query


@pytest.mark.parametrize("path", ["/login", "/authorize?client_id=x", "/my-data", "/nope"])
def test_pages_carry_security_headers(flow: Flow, path: str) -> None:
    r = flow.browser.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no JavaScript at all
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store"


def test_login_form_may_post_on_to_the_portal_only(flow: Flow) -> None:
    r = flow.follow(flow.start(flow.request()))
    assert "form-action 'self' http://127.0.0.1:5001;" in r.headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_and_samesite_lax(flow: Flow) -> None:
    r = flow.browser.get("/login")
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("eid_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_under_an_https_issuer(settings: Settings) -> None:
    app = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        issuer="https://login.eid.example")})
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" in cookie


def test_discovery_advertises_only_what_is_true(flow: Flow) -> None:
    meta = flow.api.get("/.well-known/openid-configuration").json
    assert meta["issuer"] == flow.issuer
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["subject_types_supported"] == ["pairwise", "public"]
    assert meta["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert meta["acr_values_supported"] == ["LoA1", "LoA2"]
    assert meta["ui_locales_supported"] == ["vi", "en"]
    assert meta["claims_parameter_supported"] is True
    assert meta["request_parameter_supported"] is False
    assert meta["authorization_response_iss_parameter_supported"] is True
    for endpoint in ("token", "revocation", "introspection"):
        assert set(meta[f"{endpoint}_endpoint_auth_methods_supported"]) == {
            "client_secret_basic", "client_secret_post", "private_key_jwt"}
        assert meta[f"{endpoint}_endpoint_auth_signing_alg_values_supported"] == [
            "ES256", "PS256"]
    assert meta["pushed_authorization_request_endpoint"] == f"{flow.issuer}/par"
    assert meta["require_pushed_authorization_requests"] is False
    catalogue = default_catalogue()
    assert set(catalogue.scopes) | {"offline_access"} == set(meta["scopes_supported"])
    assert {a.claim for a in catalogue.attributes.values()} <= set(meta["claims_supported"])
    for name in ("authorization", "token", "userinfo", "revocation", "introspection",
                 "pushed_authorization_request"):
        path = meta[f"{name}_endpoint"].removeprefix(flow.issuer)
        assert flow.api.open(path, method="OPTIONS").status_code != 404
    jwks = flow.api.get(meta["jwks_uri"].removeprefix(flow.issuer)).json
    assert {k["alg"] for k in jwks["keys"]} == {"ES256", "RS256"}
    assert all("d" not in k for k in jwks["keys"])


def test_userinfo_bearer_errors(flow: Flow) -> None:
    none = flow.api.get("/userinfo")
    assert none.status_code == 401
    assert none.headers["WWW-Authenticate"] == 'Bearer realm="eid"'
    bad = flow.api.get("/userinfo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert bad.json["error"] == "invalid_token"
    assert bad.headers["Cache-Control"] == "no-store"


def test_keys_and_secrets_survive_a_restart(settings: Settings) -> None:
    first = create_app({"TESTING": True, "EID_SETTINGS": settings})
    second = create_app({"TESTING": True, "EID_SETTINGS": settings})
    assert first.test_client().get("/jwks").json == second.test_client().get("/jwks").json
    assert first.secret_key == second.secret_key
    assert first.extensions["eid"].pairwise_secret == second.extensions["eid"].pairwise_secret


def test_instance_folder_is_created_on_first_start(tmp_path: object, settings: Settings) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "fresh-instance"
    app = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        instance=folder, durable_path=None)})
    assert (folder / "eid.sqlite").is_file()
    assert len(app.extensions["eid"].session_secret) == 32


# --- test mode ----------------------------------------------------------------
def test_test_identity_header_signs_in_and_approves_in_test_mode(test_mode_app: Flask) -> None:
    flow = Flow(test_mode_app)
    auth = flow.request(TEST_CLIENT, scope="openid profile id_number")
    r = flow.start(auth, headers={"X-Eid-Test-Identity": LOA1[0]})
    assert r.status_code == 302 and r.location.startswith(TEST_CLIENT.redirect_uri)
    auth.result = query(r.location)
    body = flow.redeem(auth, TEST_CLIENT).json
    claims = flow.verify(body["id_token"], TEST_CLIENT, nonce="n-456")
    assert claims["acr"] == "LoA1"
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json["vn_id_number"] == LOA1[0]


def test_test_identity_header_keeps_a_consent_that_already_covers_the_request(
        test_mode_app: Flask) -> None:
    p = test_mode_app.extensions["eid"]
    with freeze_time("2026-01-05 08:00:00") as clock:
        flow = Flow(test_mode_app)
        flow.start(flow.request(TEST_CLIENT, scope="openid profile id_number"),
                   headers={"X-Eid-Test-Identity": LOA1[0]})
        first = p.durable.consent(LOA1[0], TEST_CLIENT.client_id)
        clock.tick(3600)
        again = Flow(test_mode_app)
        r = again.start(again.request(TEST_CLIENT, scope="openid profile"),
                        headers={"X-Eid-Test-Identity": LOA1[0]})
    assert r.status_code == 302 and "code=" in r.location
    assert p.durable.consent(LOA1[0], TEST_CLIENT.client_id) == first  # not rewritten


def test_test_identity_header_is_ignored_without_test_mode(flow: Flow) -> None:
    auth = flow.request(HCM)
    r = flow.start(auth, headers={"X-Eid-Test-Identity": LOA2[0]})
    assert r.status_code == 302 and r.location.startswith("/login")
    assert flow.browser.get("/my-data").status_code == 302  # nobody was signed in
    unknown = flow.start(flow.request(TEST_CLIENT), headers={"X-Eid-Test-Identity": LOA2[0]})
    assert unknown.status_code == 400  # and the test client does not exist


def test_test_mode_refuses_identities_that_cannot_sign_in(test_mode_app: Flask) -> None:
    flow = Flow(test_mode_app)
    r = flow.start(flow.request(TEST_CLIENT), headers={"X-Eid-Test-Identity": "079090001313"})
    assert query(r.location)["error"] == "access_denied"


def test_eid_registry_points_the_service_at_a_generated_registry(
        settings: Settings, tmp_path: object) -> None:
    from pathlib import Path

    from eid.population.generator import GENERATED_PASSWORD, generate
    from eid.population.sqlite import SqliteRegistry

    path = generate(Path(str(tmp_path)) / "reg.sqlite", people=50, seed=7, workers=1,
                    progress=None)
    env = {"EID_REGISTRY": str(path)}
    app = create_app({"TESTING": True, "EID_SETTINGS": Settings.from_env(
        env, durable_path=settings.durable_path, instance=settings.instance)})
    citizen = next(c for c in SqliteRegistry(path, readonly=True).iter_citizens()
                   if c.account and c.account.status == "active" and not c.is_deceased)
    flow = Flow(app)
    auth = flow.request()
    assert "code" in flow.authorize(auth, (citizen.id_number, GENERATED_PASSWORD))
    body = flow.redeem(auth).json
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json["name"] == citizen.full_name


@pytest.mark.parametrize("portal", [HCM, NATIONAL], ids=["hcm", "national"])
def test_test_identity_header_is_ignored_for_real_portals_in_test_mode(
        test_mode_app: Flask, portal: Portal) -> None:
    """Issue 10 item 11: only clients marked ``test_only`` may use the header."""
    flow = Flow(test_mode_app)
    r = flow.start(flow.request(portal), headers={"X-Eid-Test-Identity": LOA2[0]})
    assert r.status_code == 302 and r.location.startswith("/login")
    assert flow.browser.get("/my-data").status_code == 302  # nobody was signed in
    p = test_mode_app.extensions["eid"]
    assert p.durable.consent(LOA2[0], portal.client_id) is None  # no silent consent
