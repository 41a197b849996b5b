"""The demo receiving office: upload a dossier, see each field marked."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time

from eid.credentials import MAX_DOSSIER_BYTES, DossierField
from eid.errors import ConfigurationError
from eid.signing import SigningKey, public_jwks
from service.office import OfficeSettings, create_office_app
from tests.credentials.dossier_kit import ISSUER, NOW, OFFICE, Keys, seal


@pytest.fixture(scope="module")
def keys(signing_keys: dict[str, SigningKey]) -> Keys:
    return Keys(issuer=signing_keys["ec-p256"], holder=signing_keys["ec-p256-b"],
                other_holder=signing_keys["ed25519"], stranger=signing_keys["rsa-2048-b"])


@pytest.fixture
def app(tmp_path: Path, keys: Keys) -> Flask:
    jwks = tmp_path / "issuer.jwks.json"
    jwks.write_text(json.dumps(public_jwks([keys.issuer])))
    return create_office_app(settings=OfficeSettings(issuer=ISSUER, identifier=OFFICE,
                                                     jwks_file=jwks))


def upload(app: Flask, data: bytes, cookies: dict[str, str] | None = None) -> Any:
    client = app.test_client()
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value)
    with freeze_time(datetime.fromtimestamp(NOW + 120, UTC)):
        return client.post("/verify", data={"dossier": (io.BytesIO(data), "d.json")},
                           content_type="multipart/form-data")


def test_the_upload_page_is_labelled_in_both_languages(app: Flask) -> None:
    page = app.test_client().get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="vi">' in text
    assert '<label for="dossier-file">' in text and 'id="dossier-file"' in text
    assert 'aria-describedby="dossier-hint"' in text
    client = app.test_client()
    switched = client.get("/lang/en?next=/")
    assert switched.status_code == 302 and switched.location == "/"
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Check a forwarded dossier" in english
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_language_switch_stays_on_the_site(app: Flask) -> None:
    assert app.test_client().get("/lang/en?next=https://evil.example/").location == "/"


def test_a_sealed_dossier_shows_every_field_marked(app: Flask, keys: Keys) -> None:
    resp = upload(app, seal(keys).to_bytes())
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-ok="true"' in text
    assert re.search(r'id="field-ct01-full_name"[^>]*data-status="verified"', text)
    assert re.search(r'id="field-ct01-request"[^>]*data-status="typed"', text)
    assert "1. Họ, chữ đệm và tên" in text  # the form's own labels


def test_a_tampered_dossier_is_rejected_field_by_field(app: Flask, keys: Keys) -> None:
    dossier = seal(keys)
    forms = {**dossier.forms["ct01"], "birth_date": DossierField("01/01/1990", "registry")}
    resp = upload(app, replace(dossier, forms={"ct01": forms}).to_bytes(), {"office_lang": "en"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-ok="false"' in text
    assert re.search(r'id="field-ct01-birth_date"[^>]*data-status="failed"', text)
    assert "value_mismatch" in text and "differs from the signed data" in text
    assert re.search(r'id="field-ct01-full_name"[^>]*data-status="verified"', text)


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"not json", 400, "dossier_not_json"),
    (b'{"dossier": "x"}', 400, "dossier_invalid"),
    (b" " * (MAX_DOSSIER_BYTES + 1), 400, "dossier_too_large"),
    (b" " * (MAX_DOSSIER_BYTES + 32 * 1024), 413, "dossier_too_large"),
])
def test_hostile_uploads_get_a_clear_error(app: Flask, data: bytes, status: int,
                                           code: str) -> None:
    resp = upload(app, data)
    assert resp.status_code == status
    assert f"<code>{code}</code>" in resp.get_data(as_text=True)


def test_a_form_without_a_file_is_refused(app: Flask) -> None:
    resp = app.test_client().post("/verify", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "<code>no_file</code>" in resp.get_data(as_text=True)


def test_unreachable_issuer_keys_are_a_clear_error(keys: Keys) -> None:
    app = create_office_app(settings=OfficeSettings(issuer="http://127.0.0.1:9", identifier=OFFICE))
    resp = upload(app, seal(keys).to_bytes())
    assert resp.status_code == 503
    assert "<code>keys_unavailable</code>" in resp.get_data(as_text=True)


@pytest.mark.parametrize("changes", [{"issuer": "ftp://x"}, {"issuer": "https://x/"},
                                     {"identifier": ""}])
def test_bad_settings_are_refused(changes: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        OfficeSettings(**changes)


def test_settings_from_the_environment(tmp_path: Path) -> None:
    got = OfficeSettings.from_env({"EID_OFFICE_ISSUER": "https://login.example/",
                                   "EID_OFFICE_ID": "urn:office:1",
                                   "EID_OFFICE_JWKS": str(tmp_path / "k.json")})
    assert got == OfficeSettings("https://login.example", "urn:office:1", tmp_path / "k.json")
