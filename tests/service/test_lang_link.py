"""The language switch on every page, error pages included, stays on the site (issue 10 item 7)."""

from __future__ import annotations

import re
import stat
import urllib.parse
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from eid.errors import StorageError
from service import create_app
from service.config import Settings

_LINK = re.compile(r'class="lang" href="([^"]*)"')


def switch_link(client: FlaskClient, path: str) -> str:
    links = _LINK.findall(client.get(path).get_data(as_text=True))
    assert len(links) == 1
    return links[0].replace("&amp;", "&")


@pytest.mark.parametrize(
    "path",
    ["/%5Cevil.test", "/%5C%5Cevil.test", "/%5C/evil.test", "/%09/evil.test",
     "/%0D%0A/evil.test", "/%E2%80%A8/evil.test", "/%252F/evil.test", "/%00"])
def test_an_error_page_never_links_to_another_origin(path: str, client: FlaskClient) -> None:
    link = switch_link(client, path)
    assert link == "/?lang=en"


def test_the_link_keeps_this_page_and_its_query(client: FlaskClient) -> None:
    link = switch_link(client, "/login?req=abc&x=%0D%0A")
    parts = urllib.parse.urlsplit(link)
    assert parts.path == "/login" and not parts.netloc
    assert dict(urllib.parse.parse_qsl(parts.query)) == {"req": "abc", "x": "\r\n",
                                                        "lang": "en"}


def test_a_vietnamese_path_is_linked_encoded(client: FlaskClient) -> None:
    link = switch_link(client, "/th%E1%BB%A7-t%E1%BB%A5c")  # a 404 page
    assert link == "/th%E1%BB%A7-t%E1%BB%A5c?lang=en"


# --- the instance folder (issue 10 item 5) ----------------------------------------------------
def test_a_fresh_instance_is_owner_only(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "instance"
    create_app({"TESTING": True, "EID_SETTINGS": settings.with_(instance=folder,
                                                                durable_path=None)})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name


def test_the_service_refuses_to_start_on_a_readable_key_file(settings: Settings,
                                                            app: Flask) -> None:
    assert settings.durable_path is not None
    Path(settings.durable_path).chmod(0o644)
    with pytest.raises(StorageError) as err:
        create_app({"TESTING": True, "EID_SETTINGS": settings})
    assert err.value.code == "insecure_key_file"
