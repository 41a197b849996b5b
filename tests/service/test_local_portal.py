"""`eid up --portal-port N`: the demo portal's client is registered for the port it got.

The portal's callback, sign-out landing and back-channel logout URI come from the
portal app itself (``service.stack.local_portal``), so a login started at a portal on
any port is accepted, and only that port (RFC 6749 §3.1.2.2: exact match).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from service import create_app
from service.config import LocalPortal, Settings
from service.portal import PortalSettings, create_portal_app
from service.provider import provider
from service.serving import Server
from service.stack import local_portal
from tests.service.flow import query

PORTAL = "http://127.0.0.1:5123"


def _stack(settings: Settings, tmp_path: Path) -> tuple[object, object]:
    portal = create_portal_app(settings=PortalSettings(
        issuer=settings.issuer, public_url=PORTAL, instance=tmp_path / "portal"))
    service = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        local_portal=local_portal(portal))})
    return portal, service


def test_the_portal_registers_its_own_uris(settings: Settings, tmp_path: Path) -> None:
    _, service = _stack(settings, tmp_path)
    with service.app_context():  # type: ignore[attr-defined]
        client = provider().clients.get("cong-dvc-hcm")
    assert client is not None
    assert client.redirect_uris == (PORTAL + "/auth/callback",)
    assert client.post_logout_redirect_uris == (PORTAL + "/auth/signed-out",)
    assert client.backchannel_logout_uri == PORTAL + "/auth/backchannel-logout"


def test_a_login_from_a_portal_on_another_port_reaches_the_login_screen(
        settings: Settings, tmp_path: Path) -> None:
    with Server() as login_server:  # the portal fetches discovery from it
        portal, service = _stack(settings.with_(issuer=login_server.url), tmp_path)
        login_server.mount(service).start()  # type: ignore[arg-type]
        start = portal.test_client().get("/auth/login?next=/")  # type: ignore[attr-defined]
        assert start.status_code == 302, start.get_data(as_text=True)
        assert query(start.location)["redirect_uri"] == PORTAL + "/auth/callback"
        answer = service.test_client().get(start.location)  # type: ignore[attr-defined]
    # Not the "redirect_uri is not registered" error page: on to the login screen.
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert "/login" in answer.location


def test_the_default_port_is_no_longer_registered(settings: Settings, tmp_path: Path) -> None:
    _, service = _stack(settings, tmp_path)
    with service.app_context():  # type: ignore[attr-defined]
        client = provider().clients.get("cong-dvc-hcm")
    assert client is not None and "http://127.0.0.1:5001/auth/callback" not in client.redirect_uris


@pytest.mark.parametrize("change", [
    {"client_id": "no-such-portal"},
    {"redirect_uri": "ftp://127.0.0.1:5123/auth/callback"},
    {"redirect_uri": "http://127.0.0.1:5123/auth/callback#frag"},
    {"backchannel_logout_uri": "/relative"},
])
def test_a_bad_local_portal_is_refused(settings: Settings, change: dict[str, str]) -> None:
    values = {"client_id": "cong-dvc-hcm", "redirect_uri": PORTAL + "/auth/callback",
              "backchannel_logout_uri": PORTAL + "/auth/backchannel-logout", **change}
    with pytest.raises(ConfigurationError) as exc:
        create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
            local_portal=LocalPortal(**values))})
    assert exc.value.code == "invalid_setting"
