"""Fixtures for the portal's tests. The eid_* fixtures come from the pytest plugins installed
with eid (eid_mock_service from the login service's, the rest from the library's; nothing to
import); this file only points the portal at the mock."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from eid.testing import MockService
from examples.portal.app import create_app

#: The portal's callback under Flask's test client (host "localhost").
CALLBACK = "http://localhost/auth/callback"


@pytest.fixture
def eid_mock_redirect_uris() -> list[str]:
    """The mock accepts the portal's own callback for its test client."""
    return [CALLBACK]


@pytest.fixture
def portal(eid_mock_service: MockService) -> FlaskClient:
    """The portal, configured for this test's mock login service."""
    app = create_app({
        "TESTING": True,
        "EID_ISSUER": eid_mock_service.issuer,
        "EID_CLIENT_ID": eid_mock_service.client_id,
        "EID_CLIENT_SECRET": eid_mock_service.client_secret,
        "EID_REDIRECT_URI": CALLBACK,
    })
    return app.test_client()
