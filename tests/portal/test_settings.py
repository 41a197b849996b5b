"""The demo portal is configured by a PortalSettings argument, read from EID_PORTAL_* once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eid.errors import ConfigurationError
from service.portal import PortalSettings, create_portal_app


def test_from_env_reads_each_variable_over_the_defaults(tmp_path: Path) -> None:
    env = {"EID_PORTAL_ISSUER": "https://login.example.gov.vn/",
           "EID_PORTAL_CLIENT_ID": "my-portal", "EID_PORTAL_CLIENT_SECRET": "s3cret",
           "EID_PORTAL_URL": "https://portal.example.gov.vn",
           "EID_PORTAL_INSTANCE": str(tmp_path), "EID_PORTAL_OFFICE": "urn:office:td1",
           "EID_PORTAL_CREDENTIAL_SCOPE": "vc_scope"}
    settings = PortalSettings.from_env(env, public_url="http://127.0.0.1:5009")
    assert settings == PortalSettings(
        issuer="https://login.example.gov.vn", client_id="my-portal", client_secret="s3cret",
        public_url="https://portal.example.gov.vn", instance=tmp_path,
        office_id="urn:office:td1", credential_scope="vc_scope")


def test_a_default_passed_by_a_command_applies_when_the_variable_is_unset() -> None:
    settings = PortalSettings.from_env({}, public_url="http://127.0.0.1:5009")
    assert (settings.public_url, settings.issuer) == ("http://127.0.0.1:5009",
                                                      "http://127.0.0.1:5000")


@pytest.mark.parametrize(("change", "value"), [
    ("issuer", "ftp://login.example"), ("issuer", "https://login.example/?x=1"),
    ("issuer", "https://login.example/"), ("public_url", "portal.example"),
    ("client_id", ""), ("client_secret", ""), ("office_id", ""), ("office_id", "x" * 513),
])
def test_an_invalid_setting_is_refused(change: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        PortalSettings().with_(**{change: value})
    assert err.value.code == "invalid_setting"


def test_the_app_uses_its_settings_and_writes_no_environment(tmp_path: Path) -> None:
    before = dict(os.environ)
    app = create_portal_app(settings=PortalSettings(
        issuer="https://login.example.gov.vn", public_url="https://portal.example.gov.vn",
        instance=tmp_path))
    assert app.config["EID_ISSUER"] == "https://login.example.gov.vn"
    assert app.config["EID_PUBLIC_URL"] == "https://portal.example.gov.vn"
    assert app.config["EID_POST_LOGOUT_REDIRECT_URI"] == "https://portal.example.gov.vn/auth/signed-out"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert dict(os.environ) == before
