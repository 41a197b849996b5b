"""Failure tables of the authorization endpoint: an error page or an error to the portal."""

from __future__ import annotations

import pytest

from tests.service.flow import HCM, LOA1, Flow, query

# Mutation of a good request → the error shown on a page (never redirected).
PAGE_ERRORS = {
    "unknown client": ({"client_id": "no-such-portal"}, "invalid_client"),
    "missing client": ({"client_id": None}, "invalid_request"),
    "unregistered redirect URI": ({"redirect_uri": "http://127.0.0.1:5001/other"},
                                  "invalid_redirect_uri"),
    "redirect URI with extra query": ({"redirect_uri": HCM.redirect_uri + "?x=1"},
                                      "invalid_redirect_uri"),
    "redirect URI of another client": ({"redirect_uri": "http://127.0.0.1:5002/callback"},
                                       "invalid_redirect_uri"),
    "missing redirect URI": ({"redirect_uri": None}, "invalid_request"),
}

# Mutation → the OAuth error code redirected to the portal, with state and iss.
REDIRECTED_ERRORS = {
    "missing PKCE": ({"code_challenge": None, "code_challenge_method": None},
                     "invalid_request"),
    "plain PKCE": ({"code_challenge_method": "plain"}, "invalid_request"),
    "malformed challenge": ({"code_challenge": "short"}, "invalid_request"),
    "missing response_type": ({"response_type": None}, "invalid_request"),
    "implicit flow": ({"response_type": "id_token token"}, "unsupported_response_type"),
    "no openid scope": ({"scope": "profile"}, "invalid_scope"),
    "request object": ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    "request_uri": ({"request_uri": "https://x.example/r"}, "request_uri_not_supported"),
    "prompt none with login": ({"prompt": "none login"}, "invalid_request"),
    "unknown prompt": ({"prompt": "bogus"}, "invalid_request"),
    "negative max_age": ({"max_age": "-1"}, "invalid_request"),
    "claims not JSON": ({"claims": "{"}, "invalid_request"),
    "forged id_token_hint": ({"id_token_hint": "a.b.c"}, "invalid_request"),
    "prompt none without session": ({"prompt": "none"}, "login_required"),
}


@pytest.mark.parametrize(("mutation", "error"), PAGE_ERRORS.values(), ids=PAGE_ERRORS.keys())
def test_untrusted_client_or_redirect_uri_gets_an_error_page(
        flow: Flow, mutation: dict[str, str | None], error: str) -> None:
    auth = flow.request(**mutation)  # type: ignore[arg-type]
    r = flow.start(auth)
    assert r.status_code == 400
    assert r.location is None
    assert f'id="error-code">{error}<'.encode() in r.data


@pytest.mark.parametrize(("mutation", "error"), REDIRECTED_ERRORS.values(),
                         ids=REDIRECTED_ERRORS.keys())
def test_protocol_errors_go_back_to_the_portal(
        flow: Flow, mutation: dict[str, str | None], error: str) -> None:
    r = flow.start(flow.request(**mutation))  # type: ignore[arg-type]
    assert r.status_code == 302
    assert r.location.startswith(HCM.redirect_uri + "?")
    result = query(r.location)
    assert result["error"] == error
    assert result["state"] == "st-123"
    assert result["iss"] == flow.issuer


def test_id_token_hint_signed_by_someone_else_is_refused(flow: Flow) -> None:
    import time
    from pathlib import Path

    from eid.signing import load_signing_keys, sign_token

    keys = load_signing_keys(Path(__file__).resolve().parents[2] / "fixtures" / "keys"
                             / "test-signing-keys.json")
    now = int(time.time())
    forged = sign_token({"iss": flow.issuer, "sub": "x", "aud": HCM.client_id, "iat": now,
                         "exp": now + 60}, next(iter(keys.values())))
    r = flow.start(flow.request(id_token_hint=forged))
    assert query(r.location)["error"] == "invalid_request"


def test_loa2_request_with_a_loa1_account_is_an_error_never_a_weaker_token(flow: Flow) -> None:
    result = flow.authorize(flow.request(acr_values="LoA2"), LOA1)
    assert result["error"] == "unmet_authentication_requirements"
    assert "code" not in result


def test_essential_acr_claim_is_enforced_like_acr_values(flow: Flow) -> None:
    claims = '{"id_token": {"acr": {"essential": true, "values": ["LoA2"]}}}'
    result = flow.authorize(flow.request(claims=claims), LOA1)
    assert result["error"] == "unmet_authentication_requirements"


def test_prompt_none_without_consent_is_consent_required(flow: Flow) -> None:
    flow.authorize(flow.request(scope="openid"))
    r = flow.start(flow.request(prompt="none", scope="openid profile"))
    assert query(r.location)["error"] == "consent_required"


def test_expired_login_screen_is_an_error_page(flow: Flow) -> None:
    r = flow.browser.get("/login", query_string={"req": "gone"})
    assert r.status_code == 400 and b"invalid_request" in r.data
    r = flow.browser.get("/authorize/resume", query_string={"req": "gone"})
    assert r.status_code == 400 and r.location is None


def test_error_page_speaks_the_requested_language(flow: Flow) -> None:
    r = flow.start(flow.request(client_id="no-such-portal", ui_locales="en"))
    assert b"The request could not be processed" in r.data
    r = flow.start(flow.request(client_id="no-such-portal"))
    assert "Không thể xử lý yêu cầu".encode() in r.data


def test_a_pending_request_belongs_to_the_browser_that_started_it(flow: Flow) -> None:
    auth = flow.request()
    flow.follow(flow.start(auth))
    victim = Flow(flow.app)
    victim.authorize(victim.request())  # signed in, with a session of their own
    for path in ("/login", "/consent", "/authorize/resume"):
        r = victim.browser.get(path, query_string={"req": auth.req_id})
        assert r.status_code == 400 and r.location is None


def _sub_claims(sub: str) -> str:
    import json

    return json.dumps({"id_token": {"sub": {"value": sub}}})


def test_claims_naming_the_citizens_own_sub_succeeds(flow: Flow) -> None:
    sub = _signed_in_sub(flow)
    result = flow.authorize(flow.request(claims=_sub_claims(sub)))
    assert "code" in result


def test_claims_naming_another_sub_never_gets_that_citizens_token(flow: Flow) -> None:
    # OIDC Core §5.5.1: the server MUST NOT reply with a token for a different user.
    flow.authorize(flow.request())  # the level-2 citizen is signed in
    auth = flow.request(claims=_sub_claims("someone-else-entirely"))
    r = flow.start(auth)
    assert r.location.startswith("/login")  # a fresh login is required first
    result = flow.authorize(auth)  # ... and logging in as the same citizen does not help
    assert result["error"] == "login_required"
    assert "code" not in result


def test_prompt_none_with_another_sub_is_login_required(flow: Flow) -> None:
    flow.authorize(flow.request())
    r = flow.start(flow.request(prompt="none", claims=_sub_claims("someone-else-entirely")))
    assert query(r.location)["error"] == "login_required"


def _signed_in_sub(flow: Flow) -> str:
    auth = flow.request()
    flow.authorize(auth)
    return str(flow.verify(flow.redeem(auth).get_json()["id_token"])["sub"])
