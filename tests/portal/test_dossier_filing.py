"""The portal seals a dossier at filing, from the real login service's credential endpoint,
and the receiving office verifies it: the whole chain on loopback, no fakes.

The login service runs on a loopback server (the portal's back channel is real HTTP:
discovery, token, userinfo, the credential issuer's metadata, nonce and credential
endpoints); the citizen's browser side is driven through the service's test client.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.credentials import parse_dossier, verify_dossier
from eid.verify import RemoteKeySource
from service import create_app
from service.config import Settings
from service.office import OfficeSettings, create_office_app
from service.portal import PortalSettings, create_portal_app
from service.serving import Server
from tests.servers import signing_keys_template
from tests.service.flow import Authorization, Flow, query

OFFICE = "https://tiepnhan.thu-dau-mot.eid.test"


@dataclass
class Stack:
    issuer: str
    service: Flask
    portal: Flask
    office: Flask


@pytest.fixture(scope="module")
def keys_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signing_keys_template(tmp_path_factory.mktemp("keys") / "template.sqlite")


def _stack(tmp_path: Path, keys_db: Path, **portal: Any) -> Iterator[Stack]:
    db = tmp_path / "eid.sqlite"
    shutil.copy(keys_db, db)
    with Server() as login_server:
        service = create_app({"TESTING": True, "EID_SETTINGS": Settings(
            issuer=login_server.url, instance=tmp_path, durable_path=str(db),
            backchannel_thread=False, checkpoint_interval=0)})
        login_server.mount(service).start()
        portal_app = create_portal_app(settings=PortalSettings(
            issuer=login_server.url, instance=tmp_path / "portal", office_id=OFFICE, **portal))
        office = create_office_app(settings=OfficeSettings(issuer=login_server.url,
                                                           identifier=OFFICE))
        yield Stack(login_server.url, service, portal_app, office)


@pytest.fixture
def stack(tmp_path: Path, keys_db: Path) -> Iterator[Stack]:
    yield from _stack(tmp_path, keys_db)


def file_ct01(stack: Stack) -> tuple[FlaskClient, str]:
    """Sign in at the portal (login and consent at the service), file CT01; the receipt."""
    flow = Flow(stack.service)
    at_portal = stack.portal.test_client()
    to_login = at_portal.get("/procedures/ct01")
    start = at_portal.get(to_login.location)
    auth = Authorization(query(start.location), verifier="")
    at_portal.get("/auth/callback?" + urlencode(flow.authorize(auth)))
    page = at_portal.get("/procedures/ct01").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # The declarant picks one household member changing with them (item 11 starts empty);
    # that row then goes back as the browser sends it: unchanged.
    page = at_portal.post("/procedures/ct01", data={
        "csrf_token": token, "eid-action": "members:add", "members.pick": "1"}).get_data(
        as_text=True)
    rows = dict(re.findall(r'name="(members\[\d+\]\.[a-z_]+)" value="([^"]*)"', page))
    assert rows, "no member row after adding one"
    filed = at_portal.post("/procedures/ct01", data={
        **{k: html.unescape(v) for k, v in rows.items()}, "csrf_token": token,
        "receiving_office": "Công an phường Thủ Dầu Một",
        "request": "Đăng ký tạm trú cho cả hộ"})
    assert filed.status_code == 303, filed.get_data(as_text=True)
    return at_portal, filed.location


def test_a_filing_is_sealed_and_the_office_verifies_it(stack: Stack) -> None:
    at_portal, receipt = file_ct01(stack)
    page = at_portal.get(receipt).get_data(as_text=True)
    assert 'id="dossier-download"' in page and OFFICE in page
    download = at_portal.get(receipt + "/dossier")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    dossier = parse_dossier(download.data)
    assert dossier.portal == "cong-dvc-hcm" and dossier.audience == OFFICE
    report = verify_dossier(dossier, issuer=stack.issuer, jwks=RemoteKeySource(stack.issuer),
                            audience=OFFICE)
    assert report.ok, report.as_dict()
    verified = {f.field for f in report.fields if f.status == "verified"}
    assert {"full_name", "id_number", "head_full_name", "members"} <= verified
    # At the office: uploaded, every field marked.
    shown = stack.office.test_client().post("/verify", data={
        "dossier": (io.BytesIO(download.data), "dossier.json")},
        content_type="multipart/form-data")
    assert shown.status_code == 200
    assert 'data-ok="true"' in shown.get_data(as_text=True)


def test_an_edited_value_is_rejected_at_the_office(stack: Stack) -> None:
    at_portal, receipt = file_ct01(stack)
    doc = json.loads(at_portal.get(receipt + "/dossier").data)
    doc["forms"]["ct01"]["full_name"]["value"] = "Nguyễn Văn Hưng"
    shown = stack.office.test_client().post("/verify", data={
        "dossier": (io.BytesIO(json.dumps(doc).encode()), "dossier.json")},
        content_type="multipart/form-data")
    text = shown.get_data(as_text=True)
    assert shown.status_code == 422 and 'data-ok="false"' in text
    assert re.search(r'id="field-ct01-full_name"[^>]*data-status="failed"', text)
    assert re.search(r'id="field-ct01-id_number"[^>]*data-status="verified"', text)


def test_the_only_dossier_is_the_citizens_own(stack: Stack) -> None:
    at_portal, receipt = file_ct01(stack)
    assert stack.portal.test_client().get(receipt + "/dossier").status_code == 302  # signed out
    assert at_portal.get("/filings/HS-20250101-00000000/dossier").status_code == 404


def test_without_the_credential_scope_the_filing_has_no_dossier(tmp_path: Path,
                                                                keys_db: Path) -> None:
    for stack in _stack(tmp_path, keys_db, credential_scope=""):
        at_portal, receipt = file_ct01(stack)
        page = at_portal.get(receipt).get_data(as_text=True)
        assert 'id="dossier-unavailable"' in page and "credential_not_granted" in page
        assert at_portal.get(receipt + "/dossier").status_code == 404
