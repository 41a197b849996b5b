"""The mock login service through the service plugin's ``eid_mock_service`` fixture, as a portal
team's tests use it: real HTTP on a loopback port, the code flow through RelyingParty."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from eid.errors import OAUTH_ERRORS, ConfigurationError, InvalidGrant, OAuthError, TokenError
from eid.testing import TOKEN_FAULTS, MockService
from eid.verify import RemoteKeySource
from service.mock import INJECTABLE_ERRORS

# fixtures/README.md
HUNG = "074078000101"  # Nguyễn Văn Hùng, LoA2
KHANG = "074209000303"  # Nguyễn Minh Khang, LoA1
LAN = "077188001010"  # Phạm Thị Lan, LoA2
LOCKED = "079090001313"  # Phạm Quốc Đạt, locked account


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_login_as_a_fixture_citizen(eid_mock_service: MockService) -> None:
    result = eid_mock_service.login(HUNG, acr="LoA2")
    assert result.acr == "LoA2"
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
    assert result.id_token_claims["iss"] == eid_mock_service.issuer
    assert result.id_token_claims["amr"] == ["test"]


def test_a_level1_citizen_is_refused_a_level2_login(eid_mock_service: MockService) -> None:
    with pytest.raises(OAuthError) as err:
        eid_mock_service.login(KHANG, acr="LoA2")
    assert err.value.code == "unmet_authentication_requirements"


def test_a_locked_account_is_refused(eid_mock_service: MockService) -> None:
    with pytest.raises(OAuthError) as err:
        eid_mock_service.login(LOCKED)
    assert err.value.code == "access_denied"


@pytest.mark.parametrize("code", INJECTABLE_ERRORS)
def test_injected_error_reaches_the_portal_as_its_class(code: str,
                                                        eid_mock_service: MockService) -> None:
    eid_mock_service.inject_error(code)
    with pytest.raises(OAuthError) as err:
        eid_mock_service.login(HUNG)
    assert type(err.value) is OAUTH_ERRORS[code]
    assert err.value.code == code


def test_injected_error_is_redirected_with_state_and_iss(eid_mock_service: MockService) -> None:
    eid_mock_service.inject_error("temporarily_unavailable")
    url, pending = eid_mock_service.relying_party().start_login()
    params = query(eid_mock_service.authorize(url, HUNG))
    assert params["error"] == "temporarily_unavailable"
    assert params["state"] == pending.state
    assert params["iss"] == eid_mock_service.issuer


def test_an_injected_error_is_used_once(eid_mock_service: MockService) -> None:
    eid_mock_service.inject_error("access_denied")
    with pytest.raises(OAuthError):
        eid_mock_service.login(HUNG)
    assert eid_mock_service.login(HUNG).acr == "LoA2"


@pytest.mark.parametrize("name", sorted(TOKEN_FAULTS))
def test_token_fault_is_rejected_by_the_relying_party(name: str,
                                                      eid_mock_service: MockService) -> None:
    eid_mock_service.inject_token_fault(name)
    with pytest.raises(TokenError) as err:
        eid_mock_service.login(HUNG, acr="LoA2")
    assert err.value.code == TOKEN_FAULTS[name].expected_code


@pytest.mark.parametrize(("kind", "value"), [("error", "cosmic_ray"),
                                             ("token_fault", "cosmic_ray")])
def test_unknown_injections_are_refused_with_the_known_names(
        kind: str, value: str, eid_mock_service: MockService) -> None:
    inject = eid_mock_service.inject_error if kind == "error" else \
        eid_mock_service.inject_token_fault
    with pytest.raises(ConfigurationError) as err:
        inject(value)
    assert err.value.code == "mock_refused"
    assert "access_denied" in str(err.value) or "expired" in str(err.value)


def test_key_rotation_mid_test(eid_mock_service: MockService) -> None:
    # The portal's cached keys; refetching on an unknown kid is normally limited to
    # once a minute, lifted here so the test does not wait.
    keys = RemoteKeySource(eid_mock_service.issuer, min_refresh_interval=0)
    rp = eid_mock_service.relying_party(keys=keys)
    before = eid_mock_service.login(HUNG, rp=rp)
    old_kids = set(eid_mock_service.state()["kids"])
    new_kids = set(eid_mock_service.rotate_keys("ES256")) - old_kids
    assert len(new_kids) == 1  # a new key; the old one stays published
    after = eid_mock_service.login(HUNG, rp=rp)  # unknown kid: the RP refetches the JWKS
    assert after.subject == before.subject
    assert after.tokens.id_token is not None
    assert _kid(after.tokens.id_token) in new_kids


def _kid(token: str) -> str:
    head = token.split(".", maxsplit=1)[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def test_reset_clears_grants_and_pending_injections(eid_mock_service: MockService) -> None:
    scopes = ("openid", "profile", "offline_access")
    rp = eid_mock_service.relying_party(scopes=scopes)
    result = eid_mock_service.login(HUNG, scopes=scopes, rp=rp)
    assert result.tokens.refresh_token is not None
    eid_mock_service.inject_error("access_denied")
    eid_mock_service.inject_token_fault("expired")
    eid_mock_service.reset()
    assert eid_mock_service.state()["pending"] == {"error": None, "token_fault": None,
                                                   "par_fault": None}
    with pytest.raises(InvalidGrant):
        rp.refresh(result.tokens.refresh_token, subject=result.subject)
    assert eid_mock_service.login(HUNG).acr == "LoA2"


def test_without_a_persona_the_mock_shows_its_login_page(eid_mock_service: MockService) -> None:
    url, _ = eid_mock_service.relying_party().start_login()
    with pytest.raises(Exception, match="did not send the browser back") as err:
        eid_mock_service.authorize(url)
    assert getattr(err.value, "code", None) == "bad_response"


@pytest.mark.parametrize("eid_mock_persona", [LAN])
def test_persona_mode_signs_every_login_in_silently(eid_mock_service: MockService) -> None:
    assert eid_mock_service.state()["persona"] == LAN
    assert eid_mock_service.login().userinfo["name"] == "Phạm Thị Lan"
    # prompt=login too: a silent fresh login as the persona.
    assert eid_mock_service.login(prompt="login").userinfo["name"] == "Phạm Thị Lan"


@pytest.mark.parametrize("eid_mock_persona", [LAN])
def test_the_header_overrides_the_persona(eid_mock_service: MockService) -> None:
    assert eid_mock_service.login(HUNG).userinfo["name"] == "Nguyễn Văn Hùng"


@pytest.mark.parametrize("eid_mock_redirect_uris", [["http://localhost/auth/callback"]])
def test_a_portal_callback_can_be_registered(eid_mock_service: MockService) -> None:
    rp = eid_mock_service.relying_party(redirect_uri="http://localhost/auth/callback")
    assert eid_mock_service.login(HUNG, rp=rp).acr == "LoA2"
    assert "http://localhost/auth/callback" in \
        eid_mock_service.state()["test_client"]["redirect_uris"]


@pytest.fixture
def one_citizen_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tester's own identities file: Phạm Thị Lan alone (her relatives left out)."""
    root = Path(__file__).resolve().parents[2]
    doc = json.loads((root / "fixtures" / "identities.json").read_text(encoding="utf-8"))
    lan = next(c for c in doc["citizens"] if c["id_number"] == LAN)
    for link in ("household", "father", "mother", "spouse", "legal_representative"):
        lan.pop(link, None)
    path = tmp_path_factory.mktemp("own") / "people.json"
    path.write_text(json.dumps({"citizens": [lan]}, ensure_ascii=False), encoding="utf-8")
    return path


class TestATestersOwnIdentitiesFile:
    @pytest.fixture
    def eid_mock_identities(self, one_citizen_file: Path) -> Path:
        return one_citizen_file  # overrides the plugin's default for this class only

    def test_only_its_citizens_sign_in(self, eid_mock_service: MockService) -> None:
        assert eid_mock_service.login(LAN).userinfo["name"] == "Phạm Thị Lan"
        with pytest.raises(OAuthError) as err:
            eid_mock_service.login(HUNG)  # not in this file
        assert err.value.code == "access_denied"


def test_the_fixture_comes_from_the_service_s_own_plugin() -> None:
    from importlib.metadata import entry_points

    import eid.testing.plugin

    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins["eid"] == "eid.testing.plugin"
    assert plugins["eid-service"] == "service.pytest_plugin"
    assert not hasattr(eid.testing.plugin, "eid_mock_service")
