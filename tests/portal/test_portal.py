"""The demo portal against an in-memory provider releasing real fixture data.

The provider's userinfo is what the login service would release: the catalogue's
claims for a fixture citizen under the granted scopes.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.population.fixtures import load_fixture_registry
from eid.prefill import claims_for
from eid.signing import SigningKey
from service.portal import create_portal_app
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider

HEAD = "074078000101"  # Nguyễn Văn Hùng, household A head, LoA2


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_fixture_registry()


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    p = FakeProvider(signing_keys["ec-p256"])
    p.now = time.time()
    return p


@pytest.fixture
def app(provider: FakeProvider, tmp_path: Path) -> Flask:
    return create_portal_app({
        "SECRET_KEY": "portal-test-key-0123456789", "EID_ISSUER": ISSUER,
        "EID_CLIENT_ID": CLIENT_ID, "EID_CLIENT_SECRET": SECRET,
        "EID_REDIRECT_URI": "http://127.0.0.1:5001/auth/callback",
        "FILINGS_DB": str(tmp_path / "filings.sqlite")}, http=provider)


def sign_in(client: FlaskClient, provider: FakeProvider, registry: Any, path: str,
            id_number: str = HEAD, acr: str = "LoA2", scopes: str | None = None) -> Any:
    resp = client.get(path)
    assert resp.status_code == 302, resp.text
    resp = client.get(resp.headers["Location"])
    auth_url = resp.headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth_url).query))
    granted = (scopes or query["scope"]).split()
    provider.granted_scope = " ".join(granted)
    provider.userinfo_override = {
        "sub": "pairwise-1", **claims_for(registry.get(id_number), granted, registry)}
    return client.get("/auth/callback?" + urllib.parse.urlencode(
        provider.authorize(auth_url, acr=acr)))


def test_procedure_list_states_the_level(app: Flask) -> None:
    page = app.test_client().get("/").text
    assert "Đăng nhập bằng tài khoản định danh điện tử (VNeID)" in page
    assert page.count("mức độ") == 3
    assert app.test_client().get("/lang/en", follow_redirects=True).status_code == 200


def test_ct01_opens_prefilled_and_files_with_provenance(app: Flask, provider: FakeProvider,
                                                        registry: Any) -> None:
    client = app.test_client()
    resp = sign_in(client, provider, registry, "/procedures/ct01")
    assert resp.headers["Location"] == "/procedures/ct01"
    page = client.get("/procedures/ct01").text
    assert "Nguyễn Văn Hùng" in page
    assert 'name="members.pick"' in page  # the household's members, to choose from
    assert re.search(r'name="full_name" value="Nguyễn Văn Hùng"[^>]*readonly', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "receiving_office": "Công an phường Thủ Dầu Một",
            "request": "Đăng ký tạm trú", "full_name": "Someone Else",  # tampered locked field
            "phone": "0912345678"}
    resp = client.post("/procedures/ct01", data=form)
    assert resp.status_code == 303
    receipt = client.get(resp.headers["Location"]).text
    assert "Nguyễn Văn Hùng" in receipt and "Someone Else" not in receipt
    assert "Đăng ký tạm trú" in receipt
    filings = client.get("/filings").text
    assert resp.headers["Location"].rsplit("/", 1)[1] in filings


def test_missing_required_fields_are_reported(app: Flask, provider: FakeProvider,
                                              registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    page = client.get("/procedures/ct01").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = client.post("/procedures/ct01", data={"csrf_token": token})
    assert resp.status_code == 422
    assert "receiving_office" in resp.text


def test_post_without_csrf_token_is_refused(app: Flask, provider: FakeProvider,
                                            registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    assert client.post("/procedures/ct01", data={"request": "x"}).status_code == 400


def test_withheld_fields_offer_to_ask_for_consent(app: Flask, provider: FakeProvider,
                                                  registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01", scopes="openid profile")
    page = client.get("/procedures/ct01").text
    assert 'id="ask-consent"' in page
    ask = re.search(r'id="ask-consent" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(ask.replace("&amp;", "&")).query))
    assert "household" in query["scope"].split()
    assert query["prompt"] == "consent"


def test_level_two_procedure_with_a_level_one_login_is_refused(
        app: Flask, provider: FakeProvider, registry: Any) -> None:
    resp = sign_in(app.test_client(), provider, registry, "/procedures/khai-sinh", acr="LoA1")
    assert resp.status_code == 403
    assert "mức độ 2" in resp.text
    assert "acr_too_low" in resp.text


def test_receipts_of_other_citizens_are_not_found(app: Flask, provider: FakeProvider,
                                                 registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    assert client.get("/filings/HS-20260101-DEADBEEF").status_code == 404


def test_security_headers(app: Flask) -> None:
    resp = app.test_client().get("/")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_a_filing_without_a_credential_issuer_is_filed_without_a_dossier(
        app: Flask, provider: FakeProvider, registry: Any) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    page = client.get("/procedures/ct01").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = client.post("/procedures/ct01", data={
        "csrf_token": token, "receiving_office": "Công an phường", "request": "Tạm trú"})
    assert resp.status_code == 303
    receipt = client.get(resp.headers["Location"]).text
    assert 'id="dossier-unavailable"' in receipt
    assert "credential_issuer_unavailable" in receipt
