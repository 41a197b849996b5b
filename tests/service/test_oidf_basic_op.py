"""The OpenID Foundation's Basic OP certification plan as a pytest checklist.

One test per module of ``oidcc-basic-certification-test-plan`` (the conformance
suite's ``OIDCCBasicTestPlan``), named ``test_oidcc_<module>`` after the suite's exact
module names (so ``oidcc-ensure-request-without-nonce-succeeds-for-code-flow``, not the
issue's shorthand), in the plan's order, plus ``oidcc-alternate-happy-flow`` (a newer
module, the email-scope flow with reordered parameters), each quoting the module's
published summary (``@PublishTestModule``) and then doing what the module does:
the requests it sends, and the conditions it checks on the answers. Everything goes
through the service's HTTP interface (Flask's test client: a browser with cookies
and a portal back end without them), and every ID token is verified with
:func:`eid.verify.verify_id_token` against the service's ``/jwks``.

Deliberate deviations of this provider from what the plan's default client sends,
and why they are not bugs:

* **PKCE is required** (the issue: "PKCE with S256 required for every client";
  RFC 9700 §2.1.1). The suite sends PKCE only in
  ``oidcc-ensure-request-with-valid-pkce-succeeds``, so a real run of the suite
  against this service would end every other module at the authorization endpoint
  with ``invalid_request`` (missing PKCE, tests/service/test_authorize_errors.py).
  Every request here carries an S256 challenge and a verifier; otherwise it is
  the module's request. Certifying would need PKCE made optional for the
  certification client only, which the issue does not allow.
* **Request objects are not supported** (``request_parameter_supported`` and
  ``request_uri_parameter_supported`` are false): the request-object modules accept
  ``request_not_supported`` / ``request_uri_not_supported``, or skip.
* **Consent is a screen**: the suite's user approves it; :class:`Flow` does too.
"""

from __future__ import annotations

import base64
import json
import re
import string
import time
from typing import Any

import pytest
from freezegun import freeze_time
from werkzeug.test import TestResponse

from eid.errors import TokenError
from eid.verify import IdTokenClaims, parse_jws, verify_id_token
from tests.service.flow import HCM, LOA2, NATIONAL, Authorization, Flow, Portal, query

# The errors OIDC Core §3.1.2.6 defines for "a user interface would be needed".
_UI_REQUIRED = {"login_required", "interaction_required", "consent_required",
                "account_selection_required"}


# --- what the suite's client does after every successful authorization ---------------------

def _discovery(flow: Flow) -> dict[str, Any]:
    r = flow.api.get("/.well-known/openid-configuration")
    assert r.status_code == 200
    doc: dict[str, Any] = r.json or {}
    return doc


def _jwks(flow: Flow) -> dict[str, Any]:
    # The jwks_uri discovery names (the suite never guesses it).
    path = _discovery(flow)["jwks_uri"].removeprefix(flow.issuer)
    r = flow.api.get(path)
    assert r.status_code == 200
    keys: dict[str, Any] = r.json or {}
    return keys


def _check_callback(flow: Flow, auth: Authorization) -> None:
    """The authorization response: a code, the exact state, and iss (RFC 9207)."""
    assert auth.response is not None
    assert auth.response.location.startswith(auth.params["redirect_uri"] + "?")
    assert "error" not in auth.result, auth.result
    assert auth.result["code"]
    assert auth.result.get("state") == auth.params.get("state")
    assert auth.result["iss"] == flow.issuer


def _tokens(flow: Flow, auth: Authorization, portal: Portal = HCM,
            method: str | None = None, **verify: Any) -> tuple[dict[str, Any], IdTokenClaims]:
    """Redeem the code as the suite does and verify the ID token (OIDC Core §3.1.3.7)."""
    _check_callback(flow, auth)
    r = flow.redeem(auth, portal, method=method)
    assert r.status_code == 200, r.json
    assert r.headers["Cache-Control"] == "no-store"  # RFC 6749 §5.1
    assert r.mimetype == "application/json"
    body: dict[str, Any] = r.json or {}
    assert body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    header = parse_jws(body["id_token"]).header
    assert header["alg"] != "none"
    verify.setdefault("nonce", auth.params.get("nonce"))
    claims = verify_id_token(body["id_token"], issuer=flow.issuer, audience=portal.client_id,
                             jwks=_jwks(flow), access_token=body["access_token"], **verify)
    # OIDC Core §2: the required claims, and the ones this provider always sends.
    assert {"iss", "sub", "aud", "exp", "iat", "auth_time", "acr", "amr", "at_hash"} <= \
        set(claims)
    assert 0 < len(claims["sub"]) <= 255
    if "nonce" not in auth.params:
        assert "nonce" not in claims
    return body, claims


def _userinfo(flow: Flow, access_token: str, how: str = "get") -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {access_token}"}
    if how == "get":
        r = flow.api.get("/userinfo", headers=bearer)
    elif how == "post-header":
        r = flow.api.post("/userinfo", headers=bearer)
    else:
        r = flow.api.post("/userinfo", data={"access_token": access_token})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    info: dict[str, Any] = r.json or {}
    _validate_standard_claims(info)
    return info


def _is_str(v: object) -> bool:
    return isinstance(v, str)


_STANDARD_CLAIM_TYPES = {
    # OIDC Core §5.1: the types of the standard claims (the suite's
    # ValidateUserInfoStandardClaims, EnsureUserInfoBirthDateValid, ...UpdatedAtValid).
    **dict.fromkeys(("sub", "name", "given_name", "family_name", "middle_name", "nickname",
                     "preferred_username", "profile", "picture", "website", "email", "gender",
                     "zoneinfo", "locale", "phone_number"), _is_str),
    "email_verified": lambda v: isinstance(v, bool),
    "phone_number_verified": lambda v: isinstance(v, bool),
    "updated_at": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "birthdate": lambda v: isinstance(v, str) and bool(
        re.fullmatch(r"\d{4}(-\d{2}-\d{2})?|0000-\d{2}-\d{2}", v)),
    "address": lambda v: isinstance(v, dict) and all(
        isinstance(v[k], str) for k in ("formatted", "street_address", "locality", "region",
                                         "postal_code", "country") if k in v),
}


def _validate_standard_claims(info: dict[str, Any]) -> None:
    assert _is_str(info.get("sub"))  # OIDC Core §5.3.2: sub is always returned
    for name, ok in _STANDARD_CLAIM_TYPES.items():
        if name in info:
            assert ok(info[name]), f"{name}={info[name]!r} is not a valid OIDC Core §5.1 value"


def _happy(flow: Flow, portal: Portal = HCM, **params: str | None) -> tuple[
        Authorization, dict[str, Any], IdTokenClaims]:
    auth = flow.request(portal, **params)  # type: ignore[arg-type]
    flow.authorize(auth)
    body, claims = _tokens(flow, auth, portal)
    return auth, body, claims


def _scope_test(flow: Flow, scope: str, expected: set[str]) -> dict[str, Any]:
    """AbstractOIDCCScopesServerTest: advertised scope, userinfo claims of the scope, same sub."""
    supported = set(_discovery(flow)["scopes_supported"])
    assert set(scope.split()) <= supported  # OIDCCCheckScopesSupportedContainScopeTest
    _, body, claims = _happy(flow, scope=scope)
    info = _userinfo(flow, body["access_token"])
    assert info["sub"] == claims["sub"]  # VerifyUserInfoAndIdTokenInTokenEndpointSameSub
    assert expected <= set(info), f"{scope}: missing {expected - set(info)}"
    return info


def _screen(html: bytes, form: str) -> bool:
    return f'id="{form}"'.encode() in html


def _finish(flow: Flow, auth: Authorization, r: TestResponse) -> None:
    """The citizen's side after a screen was shown: sign in and approve as needed."""
    r = flow.follow(r)
    if r.status_code == 200 and _screen(r.data, "login-form"):
        r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    if r.status_code == 200 and _screen(r.data, "consent-form"):
        r = flow.submit_consent(auth.req_id or "")
    assert r.status_code == 302, r.get_data(as_text=True)
    auth.response, auth.result = r, query(r.location)


# --- the plan, in its order ------------------------------------------------------------------

def test_oidcc_server(flow: Flow) -> None:
    """oidcc-server: "Tests primarily 'happy' flows" (OP-Response-code; the plan notes it
    also covers the ID token checks, OP-nonce-code, VerifyState and OP-ClientAuth-Basic): code,
    state and iss back, the token response (no-store, Bearer, expires_in), the ID token
    verified with at_hash and nonce, userinfo with the same sub."""
    meta = _discovery(flow)
    assert meta["issuer"] == flow.issuer
    assert "code" in meta["response_types_supported"]
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    _auth, body, claims = _happy(flow)
    assert claims["aud"] == HCM.client_id and claims["nonce"] == "n-456"
    assert claims["iat"] <= claims["exp"]
    assert _userinfo(flow, body["access_token"])["sub"] == claims["sub"]


def test_oidcc_response_type_missing(flow: Flow) -> None:
    """oidcc-response-type-missing: "This test sends an authorization request that is missing
    the response_type parameter. The authorization server must either redirect back with an
    'unsupported_response_type' or 'invalid_request' error, or must display an error saying the
    response type is missing." Here: redirected, with state and iss."""
    auth = flow.request(response_type=None)  # type: ignore[arg-type]
    r = flow.start(auth)
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri + "?")
    result = query(r.location)
    assert result["error"] in {"invalid_request", "unsupported_response_type"}
    assert "response_type" in result["error_description"]
    assert result["state"] == "st-123" and result["iss"] == flow.issuer
    assert "code" not in result


@pytest.mark.parametrize(("portal", "alg"), [(HCM, "ES256"), (NATIONAL, "RS256")],
                         ids=["ES256", "RS256"])
def test_oidcc_idtoken_signature(flow: Flow, portal: Portal, alg: str) -> None:
    """oidcc-idtoken-signature: "This test requests an ID token without specifying an
    algorithm (which should default to RS256)." (OP-IDToken-Signature & OP-IDToken-kid:
    EnsureIdTokenContainsKid, EnsureIdTokenSignatureIsRS256.) The module registers its own
    client, so it is not applicable to static clients; here each demo portal gets the
    algorithm it is registered for (ES256; RS256 for the national demo, the module's case), RS256
    is advertised as OIDC Discovery §3 requires, the kid names a JWKS key, and a changed
    signature fails verification."""
    _, body, _ = _happy(flow, portal)
    header = parse_jws(body["id_token"]).header
    assert header["alg"] == alg
    supported = _discovery(flow)["id_token_signing_alg_values_supported"]
    assert alg in supported and "RS256" in supported and "none" not in supported
    keys = {k["kid"]: k for k in _jwks(flow)["keys"]}
    assert header["kid"] in keys and keys[header["kid"]]["alg"] == alg
    head, payload, sig = body["id_token"].split(".")
    forged = f"{head}.{payload}.{sig[:-4]}{'AAAA' if not sig.endswith('AAAA') else 'BBBB'}"
    with pytest.raises(TokenError):
        verify_id_token(forged, issuer=flow.issuer, audience=portal.client_id, jwks=_jwks(flow))


def test_oidcc_idtoken_unsigned(flow: Flow) -> None:
    """oidcc-idtoken-unsigned: "This test requests an ID token signed with \"none\"." It
    registers a client for 'none', so it is not applicable to static clients, and the provider
    never advertises or uses 'none': every registered portal gets a signed token."""
    assert "none" not in _discovery(flow)["id_token_signing_alg_values_supported"]
    _, body, _ = _happy(flow)
    assert parse_jws(body["id_token"]).header["alg"] == "ES256"


def test_oidcc_userinfo_get(flow: Flow) -> None:
    """oidcc-userinfo-get: "This tests makes an authenticated GET request to the UserInfo
    endpoint and validates the response" (OP-UserInfo-Endpoint)."""
    _, body, claims = _happy(flow)
    info = _userinfo(flow, body["access_token"], "get")
    assert info["sub"] == claims["sub"] and info["name"] == "Nguyễn Văn Hùng"


def test_oidcc_userinfo_post_header(flow: Flow) -> None:
    """oidcc-userinfo-post-header: "This tests makes an authenticated POST request to the
    UserInfo endpoint with the access token in a header and validates the response"
    (OP-UserInfo-Header)."""
    _, body, claims = _happy(flow)
    info = _userinfo(flow, body["access_token"], "post-header")
    assert info["sub"] == claims["sub"] and info["name"] == "Nguyễn Văn Hùng"


def test_oidcc_userinfo_post_body(flow: Flow) -> None:
    """oidcc-userinfo-post-body: "This tests makes an authenticated POST request to the
    UserInfo endpoint with the access token in the body and validates the response. Support for
    passing an access token in the request body is not required by the standards" (a warning
    otherwise; this provider supports it, RFC 6750 §2.2)."""
    _, body, claims = _happy(flow)
    info = _userinfo(flow, body["access_token"], "post-body")
    assert info["sub"] == claims["sub"] and info["name"] == "Nguyễn Văn Hùng"


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(flow: Flow) -> None:
    """oidcc-ensure-request-without-nonce-succeeds-for-code-flow: "This test should end
    with the authorisation server issuing an authorization code, even though a nonce was not
    supplied." (OP-nonce-NoReq-code.) The ID token then has no nonce."""
    auth = flow.request(nonce=None)  # type: ignore[arg-type]
    flow.authorize(auth)
    _, claims = _tokens(flow, auth)
    assert "nonce" not in claims


def test_oidcc_scope_profile(flow: Flow) -> None:
    """oidcc-scope-profile: "This test requests authorization with profile scope." Then
    (AbstractOIDCCScopesServerTest) the scope is in scopes_supported, userinfo passes
    ValidateUserInfoStandardClaims, has the ID token's sub and the scope's claims."""
    _scope_test(flow, "openid profile", {"name", "birthdate", "gender"})


def test_oidcc_scope_email(flow: Flow) -> None:
    """oidcc-scope-email: "This test requests authorization with email scope." (Checks as
    for oidcc-scope-profile; the email claim is returned.)"""
    _scope_test(flow, "openid email", {"email"})


def test_oidcc_scope_address(flow: Flow) -> None:
    """oidcc-scope-address: "This test requests authorization with address scope." (Checks as
    for oidcc-scope-profile; the address claim is a JSON object whose standard members are
    strings, OIDC Core §5.1.1; the provider's extra vn_* members are skipped by the suite.)"""
    address = _scope_test(flow, "openid address", {"address"})["address"]
    assert isinstance(address, dict)
    assert address["formatted"] == "15 Yersin, Phường Thủ Dầu Một, Thành phố Hồ Chí Minh"
    assert address["street_address"] == "15 Yersin" and address["country"] == "Việt Nam"


def test_oidcc_scope_phone(flow: Flow) -> None:
    """oidcc-scope-phone: "This test requests authorization with phone scope." (Checks as
    for oidcc-scope-profile; phone_number is returned.)"""
    _scope_test(flow, "openid phone", {"phone_number"})


def test_oidcc_scope_all(flow: Flow) -> None:
    """oidcc-scope-all: "This test requests authorization with address, email, phone and
    profile scopes." (Checks as for oidcc-scope-profile, for all four.)"""
    _scope_test(flow, "openid profile email address phone",
                {"name", "birthdate", "email", "address", "phone_number"})


def test_oidcc_ensure_other_scope_order_succeeds(flow: Flow) -> None:
    """oidcc-ensure-other-scope-order-succeeds: "This test makes a scope=openid email
    request, but with the order of the entries in the 'scope' reversed, which must succeed. As
    per RFC6749 section 3.3, 'If the value contains multiple space-delimited strings, their
    order does not matter'.\""""
    _, body, _ = _happy(flow, scope="email openid")
    assert set(body["scope"].split()) == {"openid", "email"}
    assert "email" in _userinfo(flow, body["access_token"])


def test_oidcc_alternate_happy_flow(flow: Flow) -> None:
    """oidcc-alternate-happy-flow: "This test performs a happy flow but with the order of the
    entries in the 'scope' reversed and authorization endpoint query parameters in a different
    order, to verify the server does not depend on any particular ordering." (An extension of
    oidcc-scope-email.) Run with the other demo portal too: RS256 and client_secret_post."""
    for portal in (HCM, NATIONAL):
        auth = flow.request(portal, scope="email openid")
        auth.params = dict(reversed(list(auth.params.items())))  # sent in this order
        assert next(iter(auth.params)) == "code_challenge_method"
        flow.authorize(auth)
        body, claims = _tokens(flow, auth, portal)
        assert parse_jws(body["id_token"]).header["alg"] == ("ES256" if portal is HCM
                                                              else "RS256")
        info = _userinfo(flow, body["access_token"])
        assert info["sub"] == claims["sub"] and "email" in info


def test_oidcc_display_page(flow: Flow) -> None:
    """oidcc-display-page: "This test includes the display=page parameter in the request to
    the authorization endpoint. Use of this parameter in the request must not cause an error at
    the OP as per 'Mandatory to Implement Features for All OpenID Providers' in the OpenID
    Connect Core specification." (The login page is shown as usual; display has no effect.)"""
    auth = flow.request(display="page")
    r = flow.start(auth)
    assert _screen(flow.follow(r).data, "login-form")
    _finish(flow, auth, r)
    _tokens(flow, auth)


def test_oidcc_display_popup(flow: Flow) -> None:
    """oidcc-display-popup: "This test includes the display=popup parameter in the request
    to the authorization endpoint. Use of this parameter in the request must not cause an error
    at the OP as per 'Mandatory to Implement Features for All OpenID Providers' in the OpenID
    Connect Core specification." (Advertised, accepted, no effect: the plain page fits a
    popup.)"""
    assert "popup" in _discovery(flow)["display_values_supported"]
    auth = flow.request(display="popup")
    r = flow.start(auth)
    assert _screen(flow.follow(r).data, "login-form")
    _finish(flow, auth, r)
    _tokens(flow, auth)


def test_oidcc_prompt_login(flow: Flow) -> None:
    """oidcc-prompt-login: "This test calls the authorization endpoint test twice. The second
    time it will include prompt=login, so that the authorization server is required to ask the
    user to login a second time." Then CheckIdTokenAuthTimeClaimsDifferIfPresent: the second
    ID token's auth_time differs from the first."""
    with freeze_time() as frozen:
        _, _, first = _happy(flow)
        frozen.tick(5)
        auth = flow.request(prompt="login")
        r = flow.follow(flow.start(auth))
        assert _screen(r.data, "login-form")  # asked again despite the live session
        r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
        assert r.status_code == 302  # consent remembered: straight back with a code
        auth.response, auth.result = r, query(r.location)
        _, second = _tokens(flow, auth)
        assert second["auth_time"] != first["auth_time"]
        assert second["auth_time"] >= first["auth_time"] + 5
        assert second["sub"] == first["sub"]


def test_oidcc_prompt_none_not_logged_in(flow: Flow) -> None:
    """oidcc-prompt-none-not-logged-in: "This test calls the authorization endpoint with
    prompt=none, expecting that no recent enough authentication is present to enable a silent
    login and hence the OP will redirect back with an error as per section 3.1.2.6 of OpenID
    Connect." The state is 128 characters long, to check the OP does not corrupt it."""
    state = "s" * 64 + "-_.~" * 16
    r = flow.start(flow.request(prompt="none", state=state))
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri + "?")
    result = query(r.location)
    assert result["error"] in _UI_REQUIRED and result["error"] == "login_required"
    assert result["state"] == state and len(state) == 128
    assert result["iss"] == flow.issuer and "code" not in result


def test_oidcc_prompt_none_logged_in(flow: Flow) -> None:
    """oidcc-prompt-none-logged-in: "This test calls the authorization endpoint test twice. The
    second time it will include prompt=none, and the authorization server must not request
    that the user logs in. The test verifies that auth_time (if present) and sub are consistent
    between the id_tokens from the first and second authorizations.\""""
    _, _, first = _happy(flow)
    auth = flow.request(prompt="none")
    r = flow.start(auth)
    assert r.status_code == 302  # no screen at all
    auth.response, auth.result = r, query(r.location)
    _, second = _tokens(flow, auth)
    assert second["sub"] == first["sub"] and second["auth_time"] == first["auth_time"]


def test_oidcc_max_age_1(flow: Flow) -> None:
    """oidcc-max-age-1: "This test calls the authorization endpoint test twice. The second time
    it waits 1 second and includes max_age=1, so that the authorization server is required to
    ask the user to login a second time and must return an auth_time claim in the second
    id_token." (The suite waits 2 s; checks CheckIdTokenAuthTimeClaimPresentDueToMaxAge,
    CheckSecondIdTokenAuthTimeIsLaterIfPresent, CheckIdTokenAuthTimeIsRecentIfPresent.)"""
    with freeze_time() as frozen:
        _, _, first = _happy(flow)
        frozen.tick(2)  # the suite's WaitFor2Seconds, without sleeping
        auth = flow.request(max_age="1")
        r = flow.follow(flow.start(auth))
        assert _screen(r.data, "login-form")  # the first login is too old
        r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
        auth.response, auth.result = r, query(r.location)
        _, second = _tokens(flow, auth, max_age=1)  # auth_time required and within max_age
        assert "auth_time" in second
        assert second["auth_time"] > first["auth_time"]
        now = time.time()  # frozen
        assert now - 1 <= second["auth_time"] <= now


def test_oidcc_max_age_10000(flow: Flow) -> None:
    """oidcc-max-age-10000: "This test calls the authorization endpoint test twice. The second
    time it will include max_age=10000, and the authorization server must not request that the
    user logs in. The test verifies that auth_time (if present) and sub are consistent between
    the id_tokens from the first and second authorizations.\""""
    with freeze_time() as frozen:
        _, _, first = _happy(flow, max_age="15000")
        frozen.tick(60)
        auth = flow.request(max_age="10000")
        r = flow.start(auth)
        assert r.status_code == 302 and "code" in query(r.location)  # no login screen
        auth.response, auth.result = r, query(r.location)
        _, second = _tokens(flow, auth, max_age=10000)
        assert second["auth_time"] == first["auth_time"] and second["sub"] == first["sub"]


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(flow: Flow) -> None:
    """oidcc-ensure-request-with-unknown-parameter-succeeds: "The test includes the
    parameter extra=foobar (which is not defined by any specification) in the request to the
    authorization endpoint, and the authentication must complete successfully with the extra
    parameter ignored as per RFC6749-3.1 'The authorization server MUST ignore unrecognized
    request parameters'\""""
    _, _, claims = _happy(flow, extra="foobar")
    assert "extra" not in claims


def test_oidcc_id_token_hint(flow: Flow) -> None:
    """oidcc-id-token-hint: "This test calls the authorization endpoint test twice. The second
    time it will include prompt=none with the id_token_hint set to the id token from the first
    authorization, and the authorization server must return successfully immediately without
    interacting with the user. The test verifies that auth_time (if present) and sub are
    consistent between the id_tokens from the first and second authorizations.\""""
    _, body, first = _happy(flow)
    auth = flow.request(prompt="none", id_token_hint=body["id_token"])
    r = flow.start(auth)
    assert r.status_code == 302
    auth.response, auth.result = r, query(r.location)
    _, second = _tokens(flow, auth)
    assert second["sub"] == first["sub"] and second["auth_time"] == first["auth_time"]


def test_oidcc_login_hint(flow: Flow) -> None:
    """oidcc-login-hint: "This test calls the authorization endpoint with a login_hint
    (provided in configuration, or buffy@<your issuer hostname> if not), which must at a minimum
    not result in errors." Here a personal ID number as hint prefills the ID-number field; the
    suite's e-mail style default is accepted and ignored."""
    # The suite's default hint: accepted, no error, nothing prefilled.
    r = flow.follow(flow.start(flow.request(login_hint="buffy@127.0.0.1")))
    assert r.status_code == 200 and _screen(r.data, "login-form")
    assert not re.search(r'<input[^>]*name="id_number"[^>]*value="[^"]', r.get_data(as_text=True))
    auth = flow.request(login_hint=LOA2[0])
    r = flow.follow(flow.start(auth))
    assert _screen(r.data, "login-form")
    assert re.search(rf'<input[^>]*name="id_number"[^>]*value="{LOA2[0]}"',
                     r.get_data(as_text=True))
    _finish(flow, auth, r)
    _tokens(flow, auth)


def test_oidcc_ui_locales(flow: Flow) -> None:
    """oidcc-ui-locales: "This test includes the ui_locales parameter in the request to the
    authorization endpoint, with the value set to that provided in the configuration (or 'se' if
    no value probably). Use of this parameter in the request must not cause an error at the OP."
    An unsupported locale falls back to Vietnamese; 'en' shows the English screens."""
    r = flow.follow(flow.start(flow.request(ui_locales="se")))
    assert b'lang="vi"' in r.data and _screen(r.data, "login-form")
    auth = flow.request(ui_locales="en")
    r = flow.follow(flow.start(auth))
    assert b'lang="en"' in r.data and b"Personal identification number" in r.data
    flow.authorize(auth)
    _tokens(flow, auth)


def test_oidcc_claims_locales(flow: Flow) -> None:
    """oidcc-claims-locales: "This test calls the authorization endpoint with
    claims_locale=se, which (as per section 15.1 of the OpenID Connect core spec) must at a
    minimum not result in errors." (Accepted without effect: the registry's values are
    Vietnamese.)"""
    for value in ("se", "en vi"):
        _, body, claims = _happy(flow, claims_locales=value)
        assert _userinfo(flow, body["access_token"])["sub"] == claims["sub"]


def test_oidcc_ensure_request_with_acr_values_succeeds(flow: Flow) -> None:
    """oidcc-ensure-request-with-acr-values-succeeds: "This test will send an acr_values
    containing the authorization server's advertised acr_values_supported (or if none
    advertised, the values '1' and '2'). The authorization must succeed, and the returned
    id_tokens 'SHOULD' (but is not required to) contain an acr claim with one of the requested
    values." The provider advertises LoA1 and LoA2, so the suite sends those; values it does not
    define ('1 2') are ignored."""
    advertised = _discovery(flow)["acr_values_supported"]
    assert advertised == ["LoA1", "LoA2"]
    _, _, claims = _happy(flow, acr_values=" ".join(advertised))
    assert claims["acr"] in advertised  # ValidateIdTokenACRClaimAgainstAcrValuesRequest
    _, _, claims = _happy(flow, acr_values="1 2")
    assert claims["acr"] == "LoA2"  # '1' and '2' mean nothing here: the account's level


def test_oidcc_codereuse(flow: Flow) -> None:
    """oidcc-codereuse: "This test tries using an authorization code for a second time,
    immediately after the first use. The server should return an invalid_grant error as the
    authorization code has already been used. If it doesn't, a warning is raised." (RFC 6749
    §4.1.2: the tokens issued from the code SHOULD be revoked, which this provider does.)"""
    auth, body, _ = _happy(flow)
    again = flow.redeem(auth)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert again.headers["Cache-Control"] == "no-store"
    r = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert r.status_code == 401


def test_oidcc_codereuse_30seconds(flow: Flow) -> None:
    """oidcc-codereuse-30seconds: "This test tries using an authorization code for a second
    time, 30 seconds after the first use. The server must return an invalid_grant error as the
    authorization code has already been used. The originally issued access token should be
    revoked (as per RFC6749-4.1.2) - a warning is issued if the access token still works.\""""
    with freeze_time() as frozen:
        auth, body, _ = _happy(flow)
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        assert flow.api.get("/userinfo", headers=bearer).status_code == 200
        frozen.tick(30)  # the suite's WaitFor30Seconds (still within the 60 s code lifetime)
        again = flow.redeem(auth)
        assert again.status_code == 400 and again.json["error"] == "invalid_grant"
        r = flow.api.get("/userinfo", headers=bearer)
        assert r.status_code == 401 and r.json["error"] == "invalid_token"
        assert flow.introspect(body["access_token"]) == {"active": False}


def test_oidcc_ensure_registered_redirect_uri(flow: Flow) -> None:
    """oidcc-ensure-registered-redirect-uri: "This test uses an unregistered redirect uri. The
    authorization server should display an error saying the redirect uri is invalid, a
    screenshot of which should be uploaded." It must never redirect to that URI."""
    bad = HCM.redirect_uri + "/" + "x7Kq"  # CreateBadRedirectUri: a random suffix
    r = flow.start(flow.request(redirect_uri=bad))
    assert r.status_code == 400 and r.location is None
    assert r.mimetype == "text/html"
    assert b'id="error-code">invalid_redirect_uri' in r.data
    assert bad.encode() not in r.data


def test_oidcc_ensure_post_request_succeeds(flow: Flow) -> None:
    """oidcc-ensure-post-request-succeeds: "The test makes the call to the authorization
    endpoint as a POST request. The authentication should complete successfully and the
    authorization server is expected to call the redirect_uri URL within 30 seconds.\""""
    auth = flow.request()
    r = flow.start(auth, method="POST")
    assert _screen(flow.follow(r).data, "login-form")
    _finish(flow, auth, r)
    _tokens(flow, auth)


def test_oidcc_server_client_secret_post(flow: Flow) -> None:
    """oidcc-server-client-secret-post: "Tests 'happy flow' using client_secret_post
    client authentication" (OP-ClientAuth-SecretPost)."""
    assert "client_secret_post" in _discovery(flow)["token_endpoint_auth_methods_supported"]
    for portal in (HCM, NATIONAL):  # HCM allows both methods; the national demo only post
        auth = flow.request(portal)
        flow.authorize(auth)
        body, claims = _tokens(flow, auth, portal, method="client_secret_post")
        assert _userinfo(flow, body["access_token"])["sub"] == claims["sub"]


def test_oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(
        flow: Flow) -> None:
    """oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: "This
    test calls the authorization endpoint as normal, but passes a request_uri that points at an
    unsigned jwt. The authorization server must successfully complete the authorization, or
    return a request_uri_not_supported error." (Not applicable to static clients in the suite;
    checked here anyway: request_uri_not_supported, redirected.)"""
    assert _discovery(flow)["request_uri_parameter_supported"] is False
    r = flow.start(flow.request(request_uri="https://rp.example/requests/abc"))
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri + "?")
    result = query(r.location)
    assert result["error"] == "request_uri_not_supported" and "code" not in result


def _unsigned_request_object(params: dict[str, str]) -> str:
    def b64(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none'})}.{b64(params)}."


def test_oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
        flow: Flow) -> None:
    """oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
    (OP-request-Unsigned): the authorization request carries an unsigned (alg 'none') request
    object; the server must complete the authorization using it, or reject it as unsupported
    with request_not_supported. Here: request_not_supported, with state, redirected."""
    assert _discovery(flow)["request_parameter_supported"] is False
    auth = flow.request()
    r = flow.start(flow.request(request=_unsigned_request_object(auth.params)))
    result = query(r.location)
    assert r.status_code == 302 and result["error"] == "request_not_supported"
    assert result["state"] == "st-123" and "code" not in result


def test_oidcc_claims_essential(flow: Flow) -> None:
    """oidcc-claims-essential: "This test makes an authorization request requesting the 'name'
    claim as essential (in the userinfo ...), and the OP must return a successful result. A
    warning is raised if the OP fails to return a value for the name claim." (And
    EnsureIdTokenDoesNotContainName: asked for userinfo, not for the ID token.)"""
    claims_param = json.dumps({"userinfo": {"name": {"essential": True}}})
    _, body, claims = _happy(flow, scope="openid", claims=claims_param)
    info = _userinfo(flow, body["access_token"])
    assert info["name"] == "Nguyễn Văn Hùng"
    assert "name" not in claims


def test_oidcc_ensure_request_object_with_redirect_uri(flow: Flow) -> None:
    """oidcc-ensure-request-object-with-redirect-uri: "This test includes two redirect URIs, one
    in the request object and one as a request parameter. The server should use the value in
    the request object." The suite skips it when request_parameter_supported is false (as
    here). Without request objects the parameter is all there is: an unregistered one gets an
    error page and no redirect (never the request object's URI either), a registered one
    request_not_supported."""
    assert _discovery(flow)["request_parameter_supported"] is False
    auth = flow.request()
    obj = _unsigned_request_object(auth.params)
    r = flow.start(flow.request(redirect_uri="https://attacker.example/cb", request=obj))
    assert r.status_code == 400 and r.location is None
    r = flow.start(flow.request(request=obj))
    assert r.status_code == 302 and r.location.startswith(HCM.redirect_uri + "?")
    assert query(r.location)["error"] == "request_not_supported"


def test_oidcc_refresh_token(flow: Flow) -> None:
    """oidcc-refresh-token: "This tests obtains refresh tokens and performs various checks,
    including checking that the refresh token is correctly bound to the client." (With
    offline_access the suite adds prompt=consent, OIDC Core §11; the refreshed ID token keeps
    iss, sub, aud and auth_time, OIDC Core §12.2; the refresh token uses only RFC 6749 A.17
    characters; client 2 cannot use client 1's refresh token.)"""
    with freeze_time() as frozen:
        auth = flow.request(scope="openid profile offline_access", prompt="consent")
        flow.authorize(auth)
        body, first = _tokens(flow, auth)
        token = body["refresh_token"]
        allowed = set(string.printable[:95]) - set("\t\n\r\x0b\x0c")  # VSCHAR %x20-7E
        assert token and set(token) <= allowed
        frozen.tick(60)
        r = flow.token({"grant_type": "refresh_token", "refresh_token": token})
        assert r.status_code == 200, r.json
        fresh = r.json
        second = verify_id_token(fresh["id_token"], issuer=flow.issuer, audience=HCM.client_id,
                                 jwks=_jwks(flow), access_token=fresh["access_token"])
        for claim in ("iss", "sub", "aud", "auth_time", "acr"):
            assert second[claim] == first[claim], claim
        assert second["iat"] >= first["iat"] + 60
        assert _userinfo(flow, fresh["access_token"])["sub"] == first["sub"]
        assert fresh["refresh_token"] != token  # rotated
        # Bound to the client: another (authenticated) client cannot redeem it.
        other = flow.token({"grant_type": "refresh_token",
                            "refresh_token": fresh["refresh_token"]}, NATIONAL)
        assert other.status_code == 400 and other.json["error"] == "invalid_grant"
        # ... and that attempt did not burn the rightful client's token.
        again = flow.token({"grant_type": "refresh_token",
                            "refresh_token": fresh["refresh_token"]})
        assert again.status_code == 200


def test_oidcc_ensure_request_with_valid_pkce_succeeds(flow: Flow) -> None:
    """oidcc-ensure-request-with-valid-pkce-succeeds: "This test makes an authorization request
    using valid PKCE (RFC7636), which must succeed. ... whether the server supports PKCE or
    not, a valid PKCE request must succeed." Here PKCE (S256) is required, so the module's
    request is the normal one; the verifier is what redeems the code."""
    assert _discovery(flow)["code_challenge_methods_supported"] == ["S256"]
    auth = flow.request()
    assert auth.params["code_challenge_method"] == "S256"
    flow.authorize(auth)
    wrong = flow.token({"grant_type": "authorization_code", "code": auth.code,
                        "redirect_uri": HCM.redirect_uri, "code_verifier": "x" * 43})
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    fresh = flow.request()
    flow.authorize(fresh)
    _tokens(flow, fresh)
