"""Strict parameter parsing (issue 10 items 6, 12, 13): malformed, oversized or repeated
parameters get ``invalid_request``, never an HTTP 500 and never a stored request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from service.state_keys import pending_request
from tests.service.flow import HCM, Flow, query

# Mutation of a good authorization request → the error redirected to the portal.
REDIRECTED = {
    # Item 6: non-ASCII digits, some of which Python's int() takes.
    "Arabic-Indic max_age": ({"max_age": "\u0663\u0660"}, "invalid_request"),
    "fullwidth max_age": ({"max_age": "\uff13\uff10"}, "invalid_request"),
    "superscript max_age": ({"max_age": "\u00b2"}, "invalid_request"),
    "max_age of thousands of digits": ({"max_age": "9" * 5000}, "invalid_request"),
    "max_age with a sign": ({"max_age": "+30"}, "invalid_request"),
    "max_age with spaces": ({"max_age": " 30"}, "invalid_request"),
    "deeply nested claims": ({"claims": '{"userinfo":' + "[" * 3000 + "]" * 3000 + "}"},
                             "invalid_request"),
    "acr.values a number": ({"claims": json.dumps(
        {"id_token": {"acr": {"essential": True, "values": 5}}})}, "invalid_request"),
    "acr.values a boolean": ({"claims": json.dumps(
        {"id_token": {"acr": {"essential": True, "values": True}}})}, "invalid_request"),
    "acr.value a number": ({"claims": json.dumps(
        {"id_token": {"acr": {"essential": True, "value": 2}}})}, "invalid_request"),
    "essential not a boolean": ({"claims": json.dumps(
        {"userinfo": {"name": {"essential": "yes"}}})}, "invalid_request"),
    "claims member a string": ({"claims": json.dumps({"userinfo": {"name": "x"}})},
                               "invalid_request"),
    "claims not an object": ({"claims": "[]"}, "invalid_request"),
    "claims target not an object": ({"claims": '{"userinfo": 1}'}, "invalid_request"),
    # Item 12: length caps on what the pending request keeps.
    "long state": ({"state": "s" * 5000}, "invalid_request"),
    "long nonce": ({"nonce": "n" * 5000}, "invalid_request"),
    "long login_hint": ({"login_hint": "1" * 5000}, "invalid_request"),
    "long claims": ({"claims": json.dumps({"userinfo": {f"x{i}": None for i in range(3000)}})},
                    "invalid_request"),
    "long ui_locales": ({"ui_locales": "en " * 2000}, "invalid_request"),
    "long acr_values": ({"acr_values": "LoA1 " * 2000}, "invalid_request"),
    "long scope": ({"scope": "openid " + "profile " * 2000}, "invalid_request"),
    "long code_challenge": ({"code_challenge": "a" * 5000}, "invalid_request"),
    "long prompt": ({"prompt": "login " * 2000}, "invalid_request"),
    # The review's further probes (OIDC Core §3.1.2.1, §6; OAuth 2.0 Multiple Response Types).
    "response_mode fragment": ({"response_mode": "fragment"}, "invalid_request"),
    "response_mode form_post": ({"response_mode": "form_post"}, "invalid_request"),
    "essential acr of unknown levels": ({"claims": json.dumps(
        {"id_token": {"acr": {"essential": True, "values": ["LoA9"]}}})},
        "unmet_authentication_requirements"),
    "max_age beyond ten digits": ({"max_age": "12345678901"}, "invalid_request"),
    "NUL in state": ({"state": "a\x00b"}, "invalid_request"),
}


@pytest.mark.parametrize(("mutation", "error"), REDIRECTED.values(), ids=REDIRECTED.keys())
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_malformed_parameters_are_invalid_request(
        flow: Flow, mutation: dict[str, str], error: str, method: str) -> None:
    r = flow.start(flow.request(**mutation), method=method)
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert r.location.startswith(HCM.redirect_uri + "?")
    assert query(r.location)["error"] == error


@pytest.mark.parametrize("name", ["request", "request_uri", "prompt", "max_age", "claims",
                                  "acr_values", "response_mode"])
def test_empty_parameters_are_omitted_ones(flow: Flow, name: str) -> None:
    """RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
    omitted" (so an empty ``request`` is no request object)."""
    r = flow.start(flow.request(**{name: ""}))
    assert r.status_code == 302 and r.location.startswith("/login"), r.location


def test_acr_values_we_do_not_define_are_ignored(flow: Flow) -> None:
    """OIDC Core §3.1.2.1: acr_values is a voluntary claim (the OIDF suite sends '1 2')."""
    r = flow.start(flow.request(acr_values="LoA3 urn:x"))
    assert r.status_code == 302 and r.location.startswith("/login"), r.location


# Mutation of the redirect URI or client → the code on the error page (never redirected).
UNTRUSTED = {
    "zero-width space": ({"redirect_uri": HCM.redirect_uri + "\u200b"}, "invalid_redirect_uri"),
    "Kelvin sign": ({"redirect_uri": HCM.redirect_uri.replace("callback", "callbac\u212a")},
                    "invalid_redirect_uri"),
    "fullwidth digits": ({"redirect_uri": HCM.redirect_uri.replace(
        "127.0.0.1", "\uff11\uff12\uff17.0.0.1")}, "invalid_redirect_uri"),
    "encoded CRLF": ({"redirect_uri": HCM.redirect_uri + "%0d%0aSet-Cookie:x=1"},
                     "invalid_redirect_uri"),
    "raw CRLF": ({"redirect_uri": HCM.redirect_uri + "\r\nSet-Cookie: x=1"}, "invalid_request"),
    "upper case": ({"redirect_uri": HCM.redirect_uri.upper()}, "invalid_redirect_uri"),
    "fragment": ({"redirect_uri": HCM.redirect_uri + "#frag"}, "invalid_redirect_uri"),
    "long redirect_uri": ({"redirect_uri": "x" * 5000}, "invalid_request"),
    "long client_id": ({"client_id": "c" * 5000}, "invalid_request"),
}


@pytest.mark.parametrize(("mutation", "code"), UNTRUSTED.values(), ids=UNTRUSTED.keys())
def test_unicode_tricks_in_redirect_uri_get_an_error_page(
        flow: Flow, mutation: dict[str, str], code: str) -> None:
    r = flow.start(flow.request(**mutation))
    assert r.status_code == 400
    assert r.location is None
    assert f'id="error-code">{code}<'.encode() in r.data


# Item 13: RFC 6749 §3.1 "Request and response parameters MUST NOT be included more than once."
REPEATABLE = ["client_id", "redirect_uri", "state", "scope", "response_type", "nonce",
              "code_challenge", "prompt", "max_age", "claims", "login_hint"]


def _repeated(flow: Flow, name: str) -> MultiDict[str, str]:
    auth = flow.request(max_age="600", login_hint="074078000101", prompt="login",
                        claims='{"userinfo": {"name": null}}')
    return MultiDict([*auth.params.items(), (name, auth.params[name])])


@pytest.mark.parametrize("name", REPEATABLE)
def test_repeated_authorization_parameter_is_refused(flow: Flow, name: str) -> None:
    r = flow.browser.get("/authorize", query_string=_repeated(flow, name))
    _assert_invalid_request(r, name)


@pytest.mark.parametrize("name", REPEATABLE)
def test_repeated_parameter_in_a_posted_authorization_is_refused(flow: Flow, name: str) -> None:
    r = flow.browser.post("/authorize", data=_repeated(flow, name))
    _assert_invalid_request(r, name)


def test_post_authorization_with_the_same_parameter_in_query_and_form_is_refused(
        flow: Flow) -> None:
    auth = flow.request()
    r = flow.browser.post("/authorize?state=other", data=auth.params)
    _assert_invalid_request(r, "state")


def _assert_invalid_request(r: Any, name: str) -> None:
    if name in ("client_id", "redirect_uri"):  # not trusted: an error page
        assert r.status_code == 400 and r.location is None
        assert b'id="error-code">invalid_request' in r.data
    else:
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
        assert r.location.startswith(HCM.redirect_uri + "?")
        assert query(r.location)["error"] == "invalid_request"


@pytest.mark.parametrize("name", ["grant_type", "code", "redirect_uri", "code_verifier",
                                  "client_id"])
def test_repeated_token_parameter_is_refused(flow: Flow, name: str) -> None:
    auth = flow.request()
    flow.authorize(auth)
    data = {"grant_type": "authorization_code", "code": auth.code,
            "redirect_uri": HCM.redirect_uri, "code_verifier": auth.verifier,
            "client_id": HCM.client_id}
    headers, _ = flow.client_auth(HCM)
    r = flow.api.post("/token", data=MultiDict([*data.items(), (name, data[name])]),
                      headers=headers)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_request"
    # The code was not consumed by the refused request.
    assert flow.redeem(auth).status_code == 200


@pytest.mark.parametrize("path", ["/revoke", "/introspect"])
def test_repeated_token_at_revocation_and_introspection_is_refused(
        flow: Flow, path: str) -> None:
    headers, _ = flow.client_auth(HCM)
    r = flow.api.post(path, data=MultiDict([("token", "a"), ("token", "b")]),
                      headers=headers)
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_repeated_access_token_at_userinfo_is_refused(flow: Flow) -> None:
    r = flow.api.post("/userinfo", data=MultiDict([("access_token", "a"),
                                                         ("access_token", "b")]))
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


@pytest.mark.parametrize("mutation", [
    {"code": "c" * 5000}, {"code_verifier": "v" * 5000}, {"redirect_uri": "r" * 5000},
    {"grant_type": "g" * 5000},
], ids=["code", "code_verifier", "redirect_uri", "grant_type"])
def test_oversized_token_parameter_is_invalid_request(flow: Flow, mutation: dict[str, str]
                                                      ) -> None:
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": HCM.redirect_uri,
            "code_verifier": "v" * 43, **mutation}
    r = flow.token(data)
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_repeated_end_session_parameter_is_an_error_page(flow: Flow) -> None:
    r = flow.browser.get("/end-session", query_string=[("state", "a"), ("state", "b")])
    assert r.status_code == 400
    assert b'id="error-code">invalid_request' in r.data


def test_pending_request_state_stays_small(app: Flask, flow: Flow) -> None:
    """Item 12: what an unauthenticated /authorize keeps is bounded (service/README.md)."""
    from service.params import MAX_PENDING_REQUEST

    biggest = flow.request(
        state="s" * 512, nonce="n" * 512, login_hint="1" * 64, ui_locales="vi en",
        acr_values="LoA1 LoA2", max_age="9" * 10,
        claims=json.dumps({"userinfo": {"name": {"essential": True, "values": ["x" * 200] * 8}},
                           "id_token": {"birthdate": None}})[:4096])
    r = flow.start(biggest)
    assert r.status_code == 302 and "/login" in r.location, r.location
    stored = app.extensions["eid"].ephemeral.get(pending_request(query(r.location)["req"]))
    assert len(json.dumps(stored)) <= MAX_PENDING_REQUEST


# RFC 6749 §3.3: scope tokens are NQCHAR separated by spaces (%x20); str.split() would also
# split on Unicode spaces and accept characters the grammar excludes.
SPACE_LISTS = {
    "no-break space in scope": {"scope": "openid\u00a0profile"},
    "em space in scope": {"scope": "openid\u2003profile"},
    "ideographic space in prompt": {"prompt": "login\u3000consent"},
    "quote in scope": {"scope": 'openid "profile'},
    "backslash in scope": {"scope": "openid pro\\file"},
    "non-ASCII scope": {"scope": "openid prófile"},
    "no-break space in acr_values": {"acr_values": "LoA1\u00a0LoA2"},
}


@pytest.mark.parametrize("mutation", SPACE_LISTS.values(), ids=SPACE_LISTS.keys())
def test_space_separated_lists_follow_the_grammar(flow: Flow, mutation: dict[str, str]) -> None:
    r = flow.start(flow.request(**mutation))
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri + "?"), r.location
    assert query(r.location)["error"] == "invalid_request"


def test_refresh_scope_follows_the_grammar(flow: Flow) -> None:
    auth = flow.request(scope="openid profile offline_access")
    flow.authorize(auth)
    token = flow.redeem(auth).json["refresh_token"]
    r = flow.token({"grant_type": "refresh_token", "refresh_token": token,
                    "scope": "openid\u00a0profile"})
    assert r.status_code == 400 and r.json["error"] == "invalid_request"


def test_pretty_printed_claims_are_accepted(flow: Flow) -> None:
    """JSON whitespace (tab, LF, CR) is no control-character attack (RFC 8259 §2)."""
    claims = json.dumps({"userinfo": {"name": None}}, indent="\t").replace("\n", "\r\n")
    r = flow.start(flow.request(claims=claims))
    assert r.status_code == 302 and r.location.startswith("/login"), r.location


def test_a_nul_inside_claims_is_refused(flow: Flow) -> None:
    r = flow.start(flow.request(claims='{"userinfo": {"na\x00me": null}}'))
    assert query(r.location)["error"] == "invalid_request"
