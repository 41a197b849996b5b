"""The paperless dossier in a real browser: file CT01 at the portal, download the dossier,
verify it at the receiving office (every field marked), edit one verified value in the
file, upload it again: rejected, that field failed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, Shot
from tests.browser.test_portal_journey import HUNG, HUNG_PASSWORD, log_in


@dataclass
class Offices:
    issuer: str
    portal: str
    office: str


@pytest.fixture
def stack_with_office(tmp_path: Path, browser_keys_db: Path) -> Iterator[Offices]:
    """The login service, the portal and the office, each on its own loopback port; the
    portal addresses its dossiers to this office, which trusts this login service."""
    from service import create_app
    from service.config import Settings
    from service.office import OfficeSettings, create_office_app
    from service.portal import PortalSettings, create_portal_app
    from service.serving import Server

    with Server() as login, Server() as portal, Server() as office:
        clients = json.loads((ROOT / "fixtures" / "clients.json").read_text(encoding="utf-8"))
        for client in clients["clients"]:
            if client["client_id"] == "cong-dvc-hcm":
                client["redirect_uris"] = [portal.url + "/auth/callback"]
                client["post_logout_redirect_uris"] = [portal.url + "/"]
        clients_file = tmp_path / "clients.json"
        clients_file.write_text(json.dumps(clients), encoding="utf-8")
        db = tmp_path / "eid.sqlite"
        shutil.copy(browser_keys_db, db)
        login.mount(create_app({"EID_SETTINGS": Settings(
            issuer=login.url, instance=tmp_path, durable_path=str(db),
            clients_file=clients_file)})).start()
        portal.mount(create_portal_app(settings=PortalSettings(
            issuer=login.url, public_url=portal.url, instance=tmp_path / "portal",
            office_id=office.url))).start()
        office.mount(create_office_app(settings=OfficeSettings(
            issuer=login.url, identifier=office.url))).start()
        yield Offices(login.url, portal.url, office.url)


def test_a_dossier_travels_from_the_portal_to_the_office(page: Any, shot: Shot, tmp_path: Path,
                                                         stack_with_office: Offices) -> None:
    s = stack_with_office
    page.goto(s.portal + "/")
    page.click("#open-ct01")
    log_in(page, shot, HUNG, HUNG_PASSWORD)
    page.wait_for_selector("form#consent-form")
    assert page.locator("ul#consent-items > li[data-scope=citizen_credential]").count() == 1
    shot("consent-with-credential")
    page.click("form#consent-form button[value=approve]")
    page.wait_for_selector("form#filing")
    page.fill("input[name=receiving_office]", "Công an phường Thủ Dầu Một")
    page.fill("input[name=request]", "Đăng ký tạm trú cho cả hộ")
    # Item 11 starts empty: the declarant picks who changes with them, from the household.
    page.select_option("select[name='members.pick']", label="Trần Thị Hoà · Vợ/chồng")
    page.click("button.eid-add")
    page.click("#submit")
    page.wait_for_selector("#reference")
    assert page.text_content("#dossier-office") == s.office
    shot("receipt-with-dossier")
    with page.expect_download() as download:
        page.click("#dossier-download")
    dossier_file = tmp_path / "forwarded.dossier.json"
    download.value.save_as(str(dossier_file))

    # At the receiving office: every field marked, all verified or typed.
    page.goto(s.office + "/")
    assert page.get_attribute("html", "lang") == "vi"
    shot("office")
    page.set_input_files("#dossier-file", str(dossier_file))
    page.click("#check")
    page.wait_for_selector("#verdict")
    shot("office-accepted")
    assert page.get_attribute("#verdict", "data-ok") == "true"
    assert page.get_attribute("#field-ct01-full_name", "data-status") == "verified"
    assert page.get_attribute("#field-ct01-members", "data-status") == "verified"
    assert page.get_attribute("#field-ct01-request", "data-status") == "typed"
    assert page.locator("tr[data-status=failed]").count() == 0

    # One verified value edited in the file: rejected, that field failed, the rest stand.
    doc = json.loads(dossier_file.read_text(encoding="utf-8"))
    doc["forms"]["ct01"]["full_name"]["value"] = "Nguyễn Văn Hưng"
    edited = tmp_path / "edited.dossier.json"
    edited.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    page.goto(s.office + "/")
    page.set_input_files("#dossier-file", str(edited))
    page.click("#check")
    page.wait_for_selector("#verdict")
    shot("office-rejected")
    assert page.get_attribute("#verdict", "data-ok") == "false"
    assert page.get_attribute("#field-ct01-full_name", "data-status") == "failed"
    assert "value_mismatch" in (page.text_content("#field-ct01-full_name") or "")
    assert page.locator("tr[data-status=failed]").count() == 1
    assert page.get_attribute("#field-ct01-id_number", "data-status") == "verified"
