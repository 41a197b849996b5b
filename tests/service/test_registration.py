"""Dynamic client registration (RFC 7591) and client read (RFC 7592 §2.1) on the service."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.datafiles import fixture_path
from eid.errors import ConfigurationError
from eid.signing import load_signing_keys, public_jwks
from eid.storage import RegisteredClient
from service import create_app
from service.config import Settings
from service.views.registration import MAX_REGISTRATION_BODY
from tests.service.flow import HCM, LOA2, Flow, Portal

TOKEN = "initial-access-token-for-tests-0123456789"
REDIRECT = "http://127.0.0.1:7100/cb"
BASE: dict[str, Any] = {"redirect_uris": [REDIRECT], "client_name": "Cổng thử nghiệm",
                        "scope": "openid profile"}


def _signing_jwks() -> dict[str, Any]:
    return public_jwks(load_signing_keys(fixture_path("keys", "test-signing-keys.json")))


def _public(kid: str) -> dict[str, Any]:
    return next(k for k in _signing_jwks()["keys"] if k["kid"] == kid)


def _private(kid: str) -> dict[str, Any]:
    doc = json.loads(fixture_path("keys", "test-signing-keys.json").read_text(encoding="utf-8"))
    return next(k for k in doc["keys"] if k["kid"] == kid)


def _weak_rsa() -> dict[str, Any]:
    # The fixture's modulus cut to 1024 bits: the verifier skips a key that small.
    key = _public("rsa-2048-b")
    n = base64.urlsafe_b64decode(key["n"] + "==")[:128]
    return {**key, "n": base64.urlsafe_b64encode(n).rstrip(b"=").decode()}


def _register(client: FlaskClient, body: Any, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/register", json=body, headers=headers)


def _read(client: FlaskClient, uri: str, token: str | None) -> Any:
    path = uri.split("/register/", 1)[1]
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(f"/register/{path}", headers=headers)


@pytest.fixture
def open_app(test_mode_app: Flask) -> Flask:
    return test_mode_app


@pytest.fixture
def api(open_app: Flask) -> FlaskClient:
    return open_app.test_client()


@pytest.fixture
def protected_settings(settings: Settings) -> Settings:
    return settings.with_(registration_token=TOKEN,
                          registration_scopes=frozenset({"openid", "profile"}))


@pytest.fixture
def protected(protected_settings: Settings) -> FlaskClient:
    return create_app({"TESTING": True, "EID_SETTINGS": protected_settings}).test_client()


# --- the happy path ------------------------------------------------------------------

def test_registration_answers_the_client_information(api: FlaskClient) -> None:
    r = _register(api, BASE)
    assert r.status_code == 201
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json
    assert body["client_id"].startswith("dcr-")
    assert len(body["client_secret"]) >= 43  # 256 bits
    assert body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    assert body["registration_client_uri"] == f"http://127.0.0.1:5000/register/{body['client_id']}"
    # RFC 7591 §3.2.1: every registered value, the defaults of §2 included.
    assert body["redirect_uris"] == [REDIRECT]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["scope"] == "openid profile"


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_registered_client_signs_a_citizen_in(open_app: Flask, method: str) -> None:
    flow = Flow(open_app)
    body = _register(flow.api, {**BASE, "token_endpoint_auth_method": method}).json
    portal = Portal(body["client_id"], body["client_secret"], REDIRECT, method)
    auth = flow.request(portal)
    result = flow.authorize(auth)
    assert result["state"] == "st-123"
    r = flow.redeem(auth, portal)
    assert r.status_code == 200, r.json
    claims = flow.verify(r.json["id_token"], portal)
    assert claims["aud"] == portal.client_id
    userinfo = flow.api.get("/userinfo",
                            headers={"Authorization": f"Bearer {r.json['access_token']}"})
    assert userinfo.status_code == 200


def test_the_consent_screen_names_the_registered_client(open_app: Flask) -> None:
    flow = Flow(open_app)
    body = _register(flow.api, {**BASE, "client_name#en": "Test portal",
                                "purpose": "Điền sẵn tờ khai thử"}).json
    portal = Portal(body["client_id"], body["client_secret"], REDIRECT)
    auth = flow.request(portal)
    flow.follow(flow.start(auth))
    flow.follow(flow.submit_login(*LOA2, auth.req_id))
    page = flow.browser.get("/consent", query_string={"req": auth.req_id}).get_data(as_text=True)
    assert "Cổng thử nghiệm" in page
    assert "Điền sẵn tờ khai thử" in page


def test_a_private_key_jwt_client_gets_no_secret(api: FlaskClient, open_app: Flask) -> None:
    jwks = {"keys": [_public("ec-p256-b")]}
    r = _register(api, {**BASE, "token_endpoint_auth_method": "private_key_jwt",
                        "jwks": jwks})
    assert r.status_code == 201, r.json
    assert "client_secret" not in r.json and "client_secret_expires_at" not in r.json
    client = open_app.extensions["eid"].clients.get(r.json["client_id"])
    assert client.auth_methods == ("private_key_jwt",)
    assert client.secret_hash is None
    assert client.jwks == jwks


def test_fapi_metadata_is_registered(api: FlaskClient, open_app: Flask) -> None:
    r = _register(api, {**BASE, "token_endpoint_auth_method": "private_key_jwt",
                        "jwks_uri": "https://portal.example.vn/jwks",
                        "redirect_uris": ["https://portal.example.vn/cb"],
                        "require_pushed_authorization_requests": True,
                        "dpop_bound_access_tokens": True, "subject_type": "public",
                        "id_token_signed_response_alg": "RS256",
                        "post_logout_redirect_uris": ["https://portal.example.vn/"],
                        "backchannel_logout_uri": "https://portal.example.vn/bcl"})
    assert r.status_code == 201, r.json
    client = open_app.extensions["eid"].clients.get(r.json["client_id"])
    assert (client.require_par, client.dpop_bound, client.subject_type, client.id_token_alg) == (
        True, True, "public", "RS256")
    assert client.jwks_uri == "https://portal.example.vn/jwks"
    assert client.sector == "portal.example.vn"
    assert client.post_logout_redirect_uris == ("https://portal.example.vn/",)
    assert client.backchannel_logout_uri == "https://portal.example.vn/bcl"


def test_unknown_metadata_is_ignored(api: FlaskClient, open_app: Flask) -> None:
    # RFC 7591 §2: unknown members are ignored, and the file-only members (the id, the
    # secret hash, test_only, the fapi2 profile, the sector) are unknown to registration.
    extra = {"software_id": "x-1", "logo_uri": "https://portal.example.vn/logo.png",
             "client_id": HCM.client_id, "client_secret": "chosen-by-the-registrant-0001",
             "secret_hash": "sha256$00$00", "test_only": True, "profile": "fapi2",
             "sector": "evil.example", "client_name#fr": 42}
    r = _register(api, {**BASE, **extra})
    assert r.status_code == 201, r.json
    body = r.json
    assert not (set(extra) - {"client_id", "client_secret"}) & set(body)
    assert body["client_id"] != HCM.client_id
    assert body["client_secret"] != extra["client_secret"]
    client = open_app.extensions["eid"].clients.get(body["client_id"])
    assert (client.test_only, client.profile, client.sector) == (False, "oidc", "127.0.0.1")
    assert open_app.extensions["eid"].clients.get(HCM.client_id).label("vi").startswith(
        "Cổng Dịch vụ công Thành phố Hồ Chí Minh")


def test_a_registered_client_cannot_use_the_test_identity_header(open_app: Flask) -> None:
    flow = Flow(open_app)
    body = _register(flow.api, BASE).json
    auth = flow.request(Portal(body["client_id"], body["client_secret"], REDIRECT))
    r = flow.browser.get("/authorize", query_string=auth.params,
                         headers={"X-Eid-Test-Identity": "074078000101"})
    assert r.status_code == 302
    assert r.location.startswith("/login")  # a normal login, not a silent one


# --- invalid metadata of each kind -----------------------------------------------------

Mutation = Callable[[dict[str, Any]], dict[str, Any]]


def _without(name: str) -> Mutation:
    return lambda body: {k: v for k, v in body.items() if k != name}


def _with(**members: Any) -> Mutation:
    return lambda body: {**body, **{k.replace("__", "#"): v for k, v in members.items()}}


_PKJ = {"token_endpoint_auth_method": "private_key_jwt"}

INVALID: list[tuple[str, Mutation, str, str]] = [
    ("redirect_uris missing", _without("redirect_uris"), "invalid_redirect_uri", "redirect_uris"),
    ("redirect_uris empty", _with(redirect_uris=[]), "invalid_redirect_uri", "redirect_uris"),
    ("redirect_uris not a list", _with(redirect_uris=REDIRECT), "invalid_redirect_uri",
     "redirect_uris"),
    ("redirect_uri http", _with(redirect_uris=["http://portal.example.vn/cb"]),
     "invalid_redirect_uri", "redirect_uris"),
    ("redirect_uri fragment", _with(redirect_uris=["https://portal.example.vn/cb#x"]),
     "invalid_redirect_uri", "redirect_uris"),
    ("redirect_uri relative", _with(redirect_uris=["/cb"]), "invalid_redirect_uri",
     "redirect_uris"),
    ("redirect_uri not a string", _with(redirect_uris=[42]), "invalid_redirect_uri",
     "redirect_uris"),
    ("redirect_uri not a URI", _with(redirect_uris=["https://[::1/cb"]),
     "invalid_redirect_uri", "redirect_uris"),
    ("redirect_uris on two hosts",
     _with(redirect_uris=["https://a.example.vn/cb", "https://b.example.vn/cb"]),
     "invalid_redirect_uri", "redirect_uris"),
    ("post_logout_redirect_uri http", _with(post_logout_redirect_uris=["http://portal.example.vn/"]),
     "invalid_redirect_uri", "post_logout_redirect_uris"),
    ("post_logout_redirect_uris not a list", _with(post_logout_redirect_uris="https://p.vn/"),
     "invalid_redirect_uri", "post_logout_redirect_uris"),
    ("sector_identifier_uri", _with(sector_identifier_uri="https://portal.example.vn/s.json"),
     "invalid_client_metadata", "sector_identifier_uri"),
    ("jwks with a private key", _with(**_PKJ, jwks={"keys": [_private("ec-p256-b")]}),
     "invalid_client_metadata", "jwks"),
    ("jwks with a too small RSA key", _with(**_PKJ, jwks={"keys": [_weak_rsa()]}),
     "invalid_client_metadata", "jwks"),
    ("jwks empty", _with(**_PKJ, jwks={"keys": []}), "invalid_client_metadata", "jwks"),
    ("jwks not a key set", _with(**_PKJ, jwks=[_public("ec-p256-b")]),
     "invalid_client_metadata", "jwks"),
    ("both jwks and jwks_uri", _with(**_PKJ, jwks={"keys": [_public("ec-p256-b")]},
                                     jwks_uri="https://portal.example.vn/jwks"),
     "invalid_client_metadata", "jwks"),
    ("jwks_uri http", _with(**_PKJ, jwks_uri="http://portal.example.vn/jwks"),
     "invalid_client_metadata", "jwks_uri"),
    ("auth method unknown", _with(token_endpoint_auth_method="client_secret_jwt"),
     "invalid_client_metadata", "token_endpoint_auth_method"),
    ("auth method not a string", _with(token_endpoint_auth_method=["client_secret_basic"]),
     "invalid_client_metadata", "token_endpoint_auth_method"),
    ("private_key_jwt without keys", _with(**_PKJ), "invalid_client_metadata", "jwks"),
    ("grant_types implicit", _with(grant_types=["authorization_code", "implicit"]),
     "invalid_client_metadata", "grant_types"),
    ("grant_types without authorization_code", _with(grant_types=["refresh_token"]),
     "invalid_client_metadata", "grant_types"),
    ("grant_types not a list", _with(grant_types="authorization_code"),
     "invalid_client_metadata", "grant_types"),
    ("offline_access without refresh_token", _with(scope="openid offline_access"),
     "invalid_client_metadata", "grant_types"),
    ("response_types token", _with(response_types=["token"]), "invalid_client_metadata",
     "response_types"),
    ("response_types code id_token", _with(response_types=["code", "code id_token"]),
     "invalid_client_metadata", "response_types"),
    ("scope unknown", _with(scope="openid not_a_scope"), "invalid_client_metadata", "scope"),
    ("scope without openid", _with(scope="profile"), "invalid_client_metadata", "scope"),
    ("scope not a string", _with(scope=["openid"]), "invalid_client_metadata", "scope"),
    ("scope empty", _with(scope=""), "invalid_client_metadata", "scope"),
    ("client_name missing", _without("client_name"), "invalid_client_metadata", "client_name"),
    ("client_name not a string", _with(client_name=42), "invalid_client_metadata",
     "client_name"),
    ("client_name blank", _with(client_name="  "), "invalid_client_metadata", "client_name"),
    ("client_name too long", _with(client_name="x" * 201), "invalid_client_metadata",
     "client_name"),
    ("client_name#vi not a string", _with(client_name__vi={"vi": "x"}),
     "invalid_client_metadata", "client_name#vi"),
    ("purpose not a string", _with(purpose=["x"]), "invalid_client_metadata", "purpose"),
    ("backchannel_logout_uri http", _with(backchannel_logout_uri="http://portal.example.vn/bcl"),
     "invalid_client_metadata", "backchannel_logout_uri"),
    ("subject_type unknown", _with(subject_type="secret"), "invalid_client_metadata",
     "subject_type"),
    ("id_token alg none", _with(id_token_signed_response_alg="none"),
     "invalid_client_metadata", "id_token_signed_response_alg"),
    ("require_par not a boolean", _with(require_pushed_authorization_requests="yes"),
     "invalid_client_metadata", "require_pushed_authorization_requests"),
    ("dpop_bound not a boolean", _with(dpop_bound_access_tokens=1),
     "invalid_client_metadata", "dpop_bound_access_tokens"),
]


@pytest.mark.parametrize(("mutate", "code", "field"), [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_invalid_metadata_is_refused_naming_the_member(
        api: FlaskClient, open_app: Flask, mutate: Mutation, code: str, field: str) -> None:
    r = _register(api, mutate(dict(BASE)))
    assert r.status_code == 400
    assert r.json["error"] == code
    assert r.json["error_description"].startswith(f"{field}: ")
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code", "named"),
    [
        ("[]", "application/json", 400, "invalid_client_metadata", "JSON object"),
        ('"redirect_uris"', "application/json", 400, "invalid_client_metadata", "JSON object"),
        ('{"client_name": "a", "client_name": "b"}', "application/json", 400,
         "invalid_client_metadata", "client_name"),
        ("{not json", "application/json", 400, "invalid_request", "not JSON"),
        ('{"scope": NaN}', "application/json", 400, "invalid_request", "not JSON"),
        (b'{"client_name": "\xff"}', "application/json", 400, "invalid_request", "not JSON"),
        ("[" * 5000, "application/json", 400, "invalid_request", "not JSON"),
        ("", "application/json", 400, "invalid_request", "not JSON"),
        ('{"x": "' + "a" * MAX_REGISTRATION_BODY + '"}', "application/json", 413,
         "invalid_request", ""),
        ("redirect_uris=http://127.0.0.1/cb", "application/x-www-form-urlencoded", 400,
         "invalid_request", "Content-Type"),
        (json.dumps(BASE), "text/plain", 400, "invalid_request", "Content-Type"),
    ],
    ids=["array", "string", "duplicate member", "not JSON", "NaN", "not UTF-8", "too deep",
         "empty", "too large", "form", "text/plain"],
)
def test_a_bad_request_body_is_refused(api: FlaskClient, data: str | bytes, content_type: str,
                                       status: int, code: str, named: str) -> None:
    r = api.post("/register", data=data, content_type=content_type)
    assert r.status_code == status
    assert r.json["error"] == code
    assert named in r.json["error_description"]


def test_get_on_register_is_a_json_405(api: FlaskClient) -> None:
    r = api.get("/register")
    assert r.status_code == 405
    assert r.json["error"] == "invalid_request"


# --- client read (RFC 7592 §2.1) -------------------------------------------------------

def test_client_read_with_the_registration_token(api: FlaskClient) -> None:
    body = _register(api, {**BASE, "client_name#en": "Test portal"}).json
    r = _read(api, body["registration_client_uri"], body["registration_access_token"])
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    expected = {k: v for k, v in body.items()
                if k not in ("client_secret", "client_secret_expires_at")}
    assert r.json == expected


@pytest.mark.parametrize("token", ["wrong-token", "", None], ids=["wrong", "empty", "missing"])
def test_client_read_without_the_right_token_is_401(api: FlaskClient, token: str | None) -> None:
    body = _register(api, BASE).json
    r = _read(api, body["registration_client_uri"], token)
    assert r.status_code == 401
    assert r.json["error"] == "invalid_token"
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is (token is not None)


def test_a_registration_token_reads_only_its_own_client(api: FlaskClient) -> None:
    first, second = _register(api, BASE).json, _register(api, BASE).json
    r = _read(api, second["registration_client_uri"], first["registration_access_token"])
    assert r.status_code == 401


@pytest.mark.parametrize("client_id", [HCM.client_id, "dcr-unknown", "x" * 500])
def test_client_read_of_a_client_not_registered_here_is_401(
        api: FlaskClient, client_id: str) -> None:
    r = api.get(f"/register/{client_id}", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 401
    assert r.json["error"] == "invalid_token"


# --- who may register ---------------------------------------------------------------

def test_registration_is_off_without_test_mode_or_a_token(client: FlaskClient) -> None:
    assert "registration_endpoint" not in client.get("/.well-known/openid-configuration").json
    r = _register(client, BASE, TOKEN)
    assert r.status_code == 404
    assert r.json["error"] == "invalid_request"
    assert client.get("/register/dcr-x", headers={"Authorization": "Bearer x"}).status_code == 404


def test_discovery_names_the_endpoint_when_registration_is_on(api: FlaskClient,
                                                               protected: FlaskClient) -> None:
    for c in (api, protected):
        meta = c.get("/.well-known/openid-configuration").json
        assert meta["registration_endpoint"] == "http://127.0.0.1:5000/register"


def test_protected_registration_with_the_initial_access_token(protected: FlaskClient) -> None:
    r = _register(protected, BASE, TOKEN)
    assert r.status_code == 201, r.json


@pytest.mark.parametrize("token", [TOKEN[:-1] + "X", TOKEN + "0", "x"],
                         ids=["wrong", "longer", "short"])
def test_protected_registration_with_a_wrong_token_is_401(protected: FlaskClient,
                                                          token: str) -> None:
    r = _register(protected, BASE, token)
    assert r.status_code == 401
    assert r.json["error"] == "invalid_token"
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_protected_registration_without_a_token_is_401(protected: FlaskClient) -> None:
    r = _register(protected, BASE)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="eid"'


def test_protected_registration_gets_only_the_allowed_scopes(protected: FlaskClient) -> None:
    r = _register(protected, {**BASE, "scope": "openid profile id_number"}, TOKEN)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_client_metadata"
    assert r.json["error_description"].startswith("scope: not allowed")


def test_test_mode_allows_every_known_scope(api: FlaskClient) -> None:
    r = _register(api, {**BASE, "scope": "openid profile id_number offline_access",
                        "grant_types": ["authorization_code", "refresh_token"]})
    assert r.status_code == 201, r.json


def test_a_short_initial_access_token_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigurationError) as err:
        settings.with_(registration_token="too-short")
    assert err.value.code == "invalid_setting"


def test_unknown_registration_scopes_are_refused_at_start(settings: Settings) -> None:
    bad = settings.with_(registration_token=TOKEN,
                         registration_scopes=frozenset({"openid", "nope"}))
    with pytest.raises(ConfigurationError, match="nope"):
        create_app({"TESTING": True, "EID_SETTINGS": bad})


def test_the_token_is_read_from_the_environment_and_never_shown() -> None:
    settings = Settings.from_env({"EID_REGISTRATION_TOKEN": TOKEN,
                                  "EID_REGISTRATION_SCOPES": "openid  profile"})
    assert settings.registration_token == TOKEN
    assert settings.registration_scopes == {"openid", "profile"}
    assert TOKEN not in repr(settings)


# --- durable, shared, never shadowing --------------------------------------------------

def test_a_registered_client_survives_a_restart(settings: Settings) -> None:
    open_settings = settings.with_(test_mode=True)
    first = create_app({"TESTING": True, "EID_SETTINGS": open_settings})
    body = _register(first.test_client(), BASE).json
    first.extensions["eid"].durable.close()
    again = create_app({"TESTING": True, "EID_SETTINGS": open_settings})
    client = again.extensions["eid"].clients.authenticate(
        body["client_id"], body["client_secret"], "client_secret_basic")
    assert client.redirect_uris == (REDIRECT,)
    r = _read(again.test_client(), body["registration_client_uri"],
              body["registration_access_token"])
    assert r.status_code == 200


def test_a_registration_on_one_instance_is_seen_by_another(settings: Settings) -> None:
    open_settings = settings.with_(test_mode=True)
    one, other = (create_app({"TESTING": True, "EID_SETTINGS": open_settings})
                  for _ in range(2))
    assert other.extensions["eid"].clients.get("dcr-none") is None
    body = _register(one.test_client(), BASE).json
    assert other.extensions["eid"].clients.get(body["client_id"]) is not None


def test_a_stored_client_cannot_shadow_a_file_client(open_app: Flask) -> None:
    p = open_app.extensions["eid"]
    body = _register(open_app.test_client(), BASE).json
    row = p.durable.registered_client(body["client_id"])
    # A row under a file client's id (as a bug or a hand edit could write it).
    assert p.durable.add_registered_client(RegisteredClient(
        HCM.client_id, row.metadata, row.secret_hash, row.token_hash, row.issued_at))
    assert p.clients.get(HCM.client_id).redirect_uris == (HCM.redirect_uri,)
    r = _read(open_app.test_client(), f"/register/{HCM.client_id}",
              body["registration_access_token"])
    assert r.status_code == 401


def test_a_stored_client_that_no_longer_validates_is_unknown(open_app: Flask) -> None:
    p = open_app.extensions["eid"]
    body = _register(open_app.test_client(), BASE).json
    row = p.durable.registered_client(body["client_id"])
    p.durable.add_registered_client(RegisteredClient(
        "dcr-stale", {**row.metadata, "scope": "openid retired_scope"}, row.secret_hash,
        row.token_hash, row.issued_at))
    assert p.clients.get("dcr-stale") is None
