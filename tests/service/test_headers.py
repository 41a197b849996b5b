"""Security headers on every kind of service response, not only on pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/token"),  # an OAuth error (JSON)
        ("GET", "/userinfo"),  # 401 with WWW-Authenticate
        ("POST", "/revoke"),
        ("POST", "/introspect"),
        ("GET", "/logout"),
        ("DELETE", "/login"),  # 405
        ("GET", "/%5Cevil.test"),  # 404 page
        ("GET", "/login?req=%0D%0A"),
        ("POST", "/consent"),  # CSRF refusal
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/jwks"),
    ],
)
def test_every_response_carries_security_headers(method: str, path: str,
                                                 client: FlaskClient) -> None:
    r = client.open(path, method=method)
    assert r.status_code < 500
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(("method", "path"), [("POST", "/token"), ("GET", "/userinfo"),
                                              ("GET", "/my-data"), ("GET", "/nope")])
def test_personal_or_token_responses_are_never_cached(method: str, path: str,
                                                      client: FlaskClient) -> None:
    assert client.open(path, method=method).headers["Cache-Control"] == "no-store"
