"""Property tests: whatever a request carries, the service answers cleanly and never
redirects anywhere but to a registered redirect URI or its own screens."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.flow import HCM, Flow

_PARAMS = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
           "code_challenge", "code_challenge_method", "prompt", "max_age", "claims",
           "acr_values", "id_token_hint", "login_hint", "ui_locales", "request",
           "request_uri", "response_mode", "display"]
_VALUES = st.one_of(st.text(max_size=40), st.sampled_from(
    ["code", "openid", "openid profile", "none", "login", "S256", "plain", "LoA2", "{}",
     '{"id_token": {"acr": {"essential": true}}}', "-1", "0", HCM.client_id,
     HCM.redirect_uri, "http://evil.example/cb", "x" * 43]))
_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(mutation=st.dictionaries(st.sampled_from(_PARAMS), _VALUES, max_size=6),
       keep_base=st.booleans(), post=st.booleans())
def test_authorize_never_misdirects(flow: Flow, mutation: dict[str, str], keep_base: bool,
                                    post: bool) -> None:
    params: dict[str, Any] = flow.request().params if keep_base else {}
    params.update(mutation)
    if post:
        r = flow.browser.post("/authorize", data=params)
    else:
        r = flow.browser.get("/authorize", query_string=params)
    assert r.status_code in (302, 400), r.status_code
    if r.status_code == 302:
        assert r.location.startswith(("/login?", "/consent?", HCM.redirect_uri + "?"))


@_SETTINGS
@given(form=st.dictionaries(st.sampled_from(
    ["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
     "client_id", "client_secret"]), _VALUES, max_size=6), basic=st.booleans())
def test_token_endpoint_always_answers_json(flow: Flow, form: dict[str, str],
                                            basic: bool) -> None:
    headers = flow.client_auth(HCM)[0] if basic else {}
    r = flow.api.post("/token", data=form, headers=headers)
    assert r.status_code in (400, 401)
    assert r.is_json and isinstance(r.json["error"], str)
    assert r.headers["Cache-Control"] == "no-store"
