"""Security headers on every kind of service response, not only on pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.wrappers import Response


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
    assert len(r.headers.getlist("X-Request-Id")) == 1  # late with them, or not, once


@pytest.mark.parametrize(("method", "path"), [("POST", "/token"), ("GET", "/userinfo"),
                                              ("GET", "/my-data"), ("GET", "/nope")])
def test_personal_or_token_responses_are_never_cached(method: str, path: str,
                                                      client: FlaskClient) -> None:
    assert client.open(path, method=method).headers["Cache-Control"] == "no-store"


def test_a_response_through_the_hook_twice_gets_one_set(client: FlaskClient) -> None:
    # The security headers go out past werkzeug's header handling (ServiceResponse's late
    # headers); a response object seen twice must still carry each of them once.
    app = client.application
    hook = next(f for f in app.after_request_funcs[None] if f.__name__ == "_security_headers")
    with app.test_request_context("/userinfo"):
        response = app.response_class("x")
        hook(hook(response))
        _, _, headers = response.get_wsgi_response({"REQUEST_METHOD": "GET"})
    names = [k.lower() for k, _ in headers]
    for name in ("x-frame-options", "x-content-type-options", "referrer-policy",
                 "content-security-policy", "cache-control"):
        assert names.count(name) == 1, name


def test_a_views_own_values_are_kept_or_replaced_as_before(client: FlaskClient) -> None:
    app = client.application
    hook = next(f for f in app.after_request_funcs[None] if f.__name__ == "_security_headers")
    with app.test_request_context("/userinfo"):
        response = app.response_class("x", headers={
            "Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "max-age=60"})
        hook(response)
        _, _, headers = response.get_wsgi_response({"REQUEST_METHOD": "GET"})
    got = {k.lower(): v for k, v in headers}
    assert got["content-security-policy"] == "default-src 'self'"  # a default only
    assert got["x-frame-options"] == "DENY"  # always DENY
    assert got["cache-control"] == "no-store"  # userinfo is never cached


def test_the_request_id_goes_out_once_with_the_late_headers_or_without_them(
        client: FlaskClient) -> None:
    app = client.application
    hooks = {f.__name__: f for f in app.after_request_funcs[None]}
    security, echo = hooks["_security_headers"], hooks["echo"]
    with app.test_request_context("/userinfo", headers={"X-Request-Id": "trace-0123456789"}):
        late = app.response_class("x")
        echo(security(echo(security(late))))  # a response through the hooks twice
        plain = echo(security(Response("x")))  # a response class without late headers
        for response in (late, plain):
            _, _, headers = response.get_wsgi_response({"REQUEST_METHOD": "GET"})
            assert [v for k, v in headers if k.lower() == "x-request-id"] == [
                "trace-0123456789"]
