"""The portal's login, tested end to end against the mock login service, and its token
check tested on its own. Copy this file (and conftest.py) into your portal's tests.

Citizens are the fixture identities (fixtures/README.md): ID number, level, what each is for.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eid.errors import TokenError
from eid.testing import TOKEN_FAULTS, MockService, TestIssuer
from examples.portal.app import check_id_token

HUNG = "074078000101"  # Nguyễn Văn Hùng, level 2
KHANG = "074209000303"  # Nguyễn Minh Khang, level 1


def sign_in(portal: FlaskClient, mock: MockService, persona: str,
            page: str = "/residence") -> TestResponse:
    """A citizen opens ``page``, is sent to the login service, signs in as ``persona``
    (the X-Eid-Test-Identity header: no screens), and comes back to the portal's callback."""
    to_login = portal.get(page)  # login_required: off to the portal's /auth/login
    assert to_login.status_code == 302
    to_provider = portal.get(to_login.location)  # flask_eid: off to the login service
    assert to_provider.location.startswith(mock.issuer)
    callback = mock.authorize(to_provider.location, persona)
    return portal.get(callback)


# --- end to end, against eid_mock_service -----------------------------------------------
def test_a_level2_citizen_sees_the_procedure_with_their_name(
        portal: FlaskClient, eid_mock_service: MockService) -> None:
    back = sign_in(portal, eid_mock_service, HUNG)
    assert back.status_code == 302 and back.location == "/residence"
    page = portal.get("/residence").get_data(as_text=True)
    assert '<p id="citizen-name">Nguyễn Văn Hùng</p>' in page
    assert '<p id="level">LoA2</p>' in page


def test_logout_is_a_post_with_the_pages_csrf_token(
        portal: FlaskClient, eid_mock_service: MockService) -> None:
    sign_in(portal, eid_mock_service, HUNG)
    page = portal.get("/residence").get_data(as_text=True)
    token = re.search(r'name="eid_csrf_token" value="([^"]+)"', page)
    assert token is not None
    # A cross-site form cannot know the token: the citizen stays signed in.
    assert portal.post("/auth/logout").status_code == 403
    assert portal.get("/residence").status_code == 200
    out = portal.post("/auth/logout", data={"eid_csrf_token": token.group(1)})
    assert out.status_code == 302 and out.location.startswith(eid_mock_service.issuer)
    assert portal.get("/residence").status_code == 302  # signed out


def test_a_level1_citizen_is_refused(portal: FlaskClient,
                                     eid_mock_service: MockService) -> None:
    back = sign_in(portal, eid_mock_service, KHANG)
    # The login service never issues a weaker token: it answers the portal with an error.
    assert back.status_code == 403
    assert "unmet_authentication_requirements" in back.get_data(as_text=True)
    assert portal.get("/residence").status_code == 302  # still not signed in


def test_a_refused_login_shows_the_error(portal: FlaskClient,
                                         eid_mock_service: MockService) -> None:
    eid_mock_service.inject_error("access_denied")  # the citizen pressed "Deny"
    back = sign_in(portal, eid_mock_service, HUNG)
    assert back.status_code == 403
    assert "access_denied" in back.get_data(as_text=True)


@pytest.mark.parametrize("error", ["login_required", "temporarily_unavailable"])
def test_other_login_errors_are_shown(error: str, portal: FlaskClient,
                                      eid_mock_service: MockService) -> None:
    eid_mock_service.inject_error(error)
    back = sign_in(portal, eid_mock_service, HUNG)
    assert back.status_code in (400, 403)
    assert error in back.get_data(as_text=True)


@pytest.mark.parametrize("fault", sorted(TOKEN_FAULTS))
def test_a_faulty_id_token_is_rejected(fault: str, portal: FlaskClient,
                                       eid_mock_service: MockService) -> None:
    eid_mock_service.inject_token_fault(fault)
    back = sign_in(portal, eid_mock_service, HUNG)
    assert back.status_code in (401, 403)
    assert TOKEN_FAULTS[fault].expected_code in back.get_data(as_text=True)
    assert portal.get("/residence").status_code == 302  # no session from a bad token


# --- unit level: the portal's own token check, with minted tokens -------------------------
def check(token: str, issuer: TestIssuer) -> dict[str, object]:
    return check_id_token(token, issuer=issuer.issuer, client_id="eid-test-client",
                          keys=issuer.key_set())


def test_the_token_check_accepts_a_level2_token(eid_mint: Callable[..., str],
                                                eid_issuer: TestIssuer) -> None:
    assert check(eid_mint(HUNG), eid_issuer)["acr"] == "LoA2"


def test_the_token_check_refuses_a_level1_token(eid_mint: Callable[..., str],
                                                eid_issuer: TestIssuer) -> None:
    with pytest.raises(TokenError) as err:
        check(eid_mint(KHANG), eid_issuer)
    assert err.value.code == "acr_too_low"


@pytest.mark.parametrize("fault", sorted(set(TOKEN_FAULTS) - {"nonce_mismatch"}))
def test_the_token_check_refuses_each_fault(fault: str, eid_mint: Callable[..., str],
                                            eid_issuer: TestIssuer) -> None:
    # nonce_mismatch is left out: this check has no nonce to compare (the login has).
    with pytest.raises(TokenError) as err:
        check(eid_mint(HUNG, fault=fault), eid_issuer)
    assert err.value.code == TOKEN_FAULTS[fault].expected_code
