"""DPoP (RFC 9449) at the login service: bound tokens, userinfo, nonces, dpop_jkt, refresh.

Test names follow the FAPI 2.0 Security Profile test plan's provider checks where
one applies. The portal is ``eid-dpop-test-client`` (fixtures/test-clients.json):
``dpop_bound_access_tokens`` and a published secret, so these tests need no
``private_key_jwt``; ``eid.oidc.RelyingParty`` runs against the service in-process
through an :class:`HttpClient` over Flask's test client.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import Headers

from eid.errors import ConfigurationError
from eid.oidc import DpopKey, RelyingParty, jwk_thumbprint
from eid.oidc.dpop_proof import DPOP_ALGS
from eid.testing import DPOP_FAULTS, dpop_headers
from service import create_app
from service.config import Settings
from service.in_process import InProcessHttp
from tests.servers import redis_server
from tests.service.flow import Authorization, Flow, Portal, query

DPOP = Portal("eid-dpop-test-client", "eid-dpop-test-secret", "http://127.0.0.1:9999/dpop-cb")
TEST = Portal("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")


def _app(settings: Settings, nonce: str = "off") -> Flask:
    return create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        test_mode=True, dpop_nonce=nonce)})


@pytest.fixture
def dflow(settings: Settings) -> Flow:
    return Flow(_app(settings))


def _basic(portal: Portal) -> dict[str, str]:
    raw = f"{portal.client_id}:{portal.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class Tokens:
    """A DPoP portal's back end: its key and the requests it sends."""

    def __init__(self, flow: Flow, portal: Portal = DPOP, key: DpopKey | None = None) -> None:
        self.flow, self.portal = flow, portal
        self.key = key or DpopKey()
        self.url = flow.issuer + "/token"

    def post(self, data: dict[str, str], *, proof: str | bool | None = True,
             key: DpopKey | None = None) -> Any:
        headers = _basic(self.portal)
        if proof is True:
            proof = (key or self.key).proof("POST", self.url)
        if isinstance(proof, str):
            headers["DPoP"] = proof
        return self.flow.api.post("/token", data=data, headers=headers)

    def redeem(self, auth: Authorization, **kw: Any) -> Any:
        return self.post({"grant_type": "authorization_code", "code": auth.code,
                          "redirect_uri": auth.params["redirect_uri"],
                          "code_verifier": auth.verifier}, **kw)

    def userinfo(self, token: str, *, scheme: str = "DPoP", proof: str | bool | None = True,
                 key: DpopKey | None = None) -> Any:
        headers = {"Authorization": f"{scheme} {token}"}
        if proof is True:
            proof = (key or self.key).proof("GET", self.flow.issuer + "/userinfo",
                                            access_token=token)
        if isinstance(proof, str):
            headers["DPoP"] = proof
        return self.flow.api.get("/userinfo", headers=headers)


def _login(flow: Flow, portal: Portal = DPOP, scope: str = "openid profile offline_access",
           **extra: str) -> Authorization:
    auth = flow.request(portal, scope=scope, **extra)
    flow.authorize(auth)
    return auth


def test_happy_flow_with_dpop_binds_the_tokens(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    r = tokens.redeem(_login(dflow))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["token_type"] == "DPoP"  # RFC 9449 §5
    info = dflow.introspect(body["access_token"], DPOP)
    jkt = jwk_thumbprint(tokens.key.key.public_jwk)
    assert (info["token_type"], info["cnf"]) == ("DPoP", {"jkt": jkt})  # RFC 9449 §6.2
    u = tokens.userinfo(body["access_token"])
    assert u.status_code == 200, u.json
    assert u.json["sub"]


def test_a_dpop_bound_client_must_send_a_proof(dflow: Flow) -> None:
    r = Tokens(dflow).redeem(_login(dflow), proof=None)
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")  # RFC 9449 §5.2


def test_two_dpop_header_fields_are_refused_at_both_endpoints(dflow: Flow) -> None:
    # RFC 9449 §4.3 check 1: not more than one DPoP header field. WSGI folds the two
    # into one value, which is then no JWS; each proof alone would be valid.
    tokens = Tokens(dflow)
    two = Headers(_basic(DPOP))
    two.add("DPoP", tokens.key.proof("POST", tokens.url))
    two.add("DPoP", tokens.key.proof("POST", tokens.url))
    auth = _login(dflow)
    r = dflow.api.post("/token", data={
        "grant_type": "authorization_code", "code": auth.code,
        "redirect_uri": auth.params["redirect_uri"], "code_verifier": auth.verifier},
        headers=two)
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")
    token = tokens.redeem(_login(dflow)).json["access_token"]
    url = dflow.issuer + "/userinfo"
    two = Headers({"Authorization": f"DPoP {token}"})
    two.add("DPoP", tokens.key.proof("GET", url, access_token=token))
    two.add("DPoP", tokens.key.proof("GET", url, access_token=token))
    r = dflow.api.get("/userinfo", headers=two)
    assert r.status_code == 401
    assert 'error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"]


def test_an_optional_proof_binds_the_tokens_of_any_client(dflow: Flow) -> None:
    tokens = Tokens(dflow, TEST)
    r = tokens.redeem(_login(dflow, TEST))
    assert r.json["token_type"] == "DPoP"
    # Without a proof the same client gets bearer tokens, as before.
    plain = dflow.redeem(_login(dflow, TEST), TEST)
    assert plain.json["token_type"] == "Bearer"
    assert "cnf" not in dflow.introspect(plain.json["access_token"], TEST)


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/token"), ("POST", "/userinfo"), ("POST", "https://evil.test/token"),
    ("POST", "/token/"), ("POST", "http://127.0.0.1:5001/token"),
])
def test_dpop_wrong_htu_or_htm_is_refused(dflow: Flow, method: str, url: str) -> None:
    tokens = Tokens(dflow)
    target = url if url.startswith("http") else dflow.issuer + url
    r = tokens.redeem(_login(dflow), proof=tokens.key.proof(method, target))
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")


def test_dpop_replay_is_refused_at_the_token_endpoint(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    proof = tokens.key.proof("POST", tokens.url)
    assert tokens.redeem(_login(dflow), proof=proof).status_code == 200
    r = tokens.redeem(_login(dflow), proof=proof)
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")
    assert "replay" in r.json["error_description"]


def test_dpop_replay_is_refused_at_userinfo(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    proof = tokens.key.proof("GET", dflow.issuer + "/userinfo", access_token=access)
    assert tokens.userinfo(access, proof=proof).status_code == 200
    r = tokens.userinfo(access, proof=proof)
    assert r.status_code == 401
    assert 'error="invalid_dpop_proof"' in r.headers["WWW-Authenticate"]


def _skewed(key: DpopKey, offset: int) -> DpopKey:
    """The same key on a portal whose clock is ``offset`` seconds off the service's."""
    return DpopKey(key.key, clock=lambda: time.time() + offset)


@pytest.mark.parametrize("offset", [-10, 10])
def test_dpop_proof_iat_10_seconds_early_and_late_is_accepted(dflow: Flow,
                                                              offset: int) -> None:
    tokens = Tokens(dflow)
    r = tokens.redeem(_login(dflow), key=_skewed(tokens.key, offset))
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("offset", [-300, 300])
def test_dpop_proof_iat_far_outside_is_refused(dflow: Flow, offset: int) -> None:
    tokens = Tokens(dflow)
    r = tokens.redeem(_login(dflow), key=_skewed(tokens.key, offset))
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")
    assert "future" in r.json["error_description"] or "old" in r.json["error_description"]


def test_bearer_use_of_a_dpop_bound_token_is_refused(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    r = tokens.userinfo(access, scheme="Bearer")
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith(f'DPoP algs="{" ".join(DPOP_ALGS)}"')  # RFC 9449 §7.1
    assert 'error="invalid_token"' in challenge
    # Not even with a valid proof alongside (§7.2).
    assert tokens.userinfo(access, scheme="Bearer", proof=True).status_code == 401


def test_a_bearer_token_presented_with_the_dpop_scheme_is_refused(dflow: Flow) -> None:
    access = dflow.redeem(_login(dflow, TEST), TEST).json["access_token"]
    r = Tokens(dflow, TEST).userinfo(access)
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")
    assert r.headers["WWW-Authenticate"].startswith("DPoP ")


@pytest.mark.parametrize("case", ["no_proof", "other_key", "no_ath", "other_token"])
def test_userinfo_needs_a_proof_for_this_token_by_its_key(dflow: Flow, case: str) -> None:
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    url = dflow.issuer + "/userinfo"
    proof: str | None = {
        "no_proof": None,
        "other_key": DpopKey().proof("GET", url, access_token=access),
        "no_ath": tokens.key.proof("GET", url),
        "other_token": tokens.key.proof("GET", url, access_token=access + "x"),
    }[case]
    r = tokens.userinfo(access, proof=proof)
    assert (r.status_code, r.json["error"]) == (401, "invalid_dpop_proof")
    assert r.headers["WWW-Authenticate"].startswith("DPoP algs=")


def test_refresh_requires_the_same_dpop_key(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    body = tokens.redeem(_login(dflow)).json
    form = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    r = tokens.post(form, key=DpopKey())
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")
    # The refused attempt left the token usable by its key (no rotation, no revocation).
    ok = tokens.post(form)
    assert ok.status_code == 200, ok.json
    assert ok.json["token_type"] == "DPoP"
    assert dflow.introspect(ok.json["access_token"], DPOP)["cnf"] == \
        {"jkt": jwk_thumbprint(tokens.key.key.public_jwk)}


def test_refresh_of_a_bound_grant_without_a_proof_is_refused(dflow: Flow) -> None:
    tokens = Tokens(dflow, TEST)
    body = tokens.redeem(_login(dflow, TEST)).json
    r = dflow.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                    TEST)
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")


def test_refresh_requires_client_authentication(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    body = tokens.redeem(_login(dflow)).json
    r = dflow.api.post("/token", data={"grant_type": "refresh_token",
                                       "refresh_token": body["refresh_token"]},
                       headers={"DPoP": tokens.key.proof("POST", tokens.url)})
    assert (r.status_code, r.json["error"]) == (401, "invalid_client")


def test_mismatched_dpop_jkt_at_the_token_endpoint_is_refused(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    auth = _login(dflow, dpop_jkt=jwk_thumbprint(DpopKey().key.public_jwk))
    r = tokens.redeem(auth)
    assert (r.status_code, r.json["error"]) == (400, "invalid_grant")  # RFC 9449 §10


def test_a_matching_dpop_jkt_binds_the_code(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    auth = _login(dflow, dpop_jkt=jwk_thumbprint(tokens.key.key.public_jwk))
    assert tokens.redeem(auth).status_code == 200


@pytest.mark.parametrize("value", ["abc", "A" * 44, "+" * 43])
def test_a_malformed_dpop_jkt_at_authorization_is_refused(dflow: Flow, value: str) -> None:
    auth = dflow.request(DPOP, dpop_jkt=value)
    r = dflow.start(auth)
    assert r.status_code == 302
    assert query(r.location)["error"] == "invalid_request"


# --- nonces (RFC 9449 §8, §9) ----------------------------------------------------------

def test_a_proof_without_the_nonce_gets_use_dpop_nonce(settings: Settings) -> None:
    flow = Flow(_app(settings, nonce="always"))
    tokens = Tokens(flow)
    auth = _login(flow)
    r = tokens.redeem(auth)
    assert (r.status_code, r.json["error"]) == (400, "use_dpop_nonce")
    nonce = r.headers["DPoP-Nonce"]
    ok = tokens.redeem(auth, proof=tokens.key.proof("POST", tokens.url, nonce=nonce))
    assert ok.status_code == 200, ok.json
    assert ok.headers["DPoP-Nonce"]  # §8.2: every answer carries the current nonce


def test_userinfo_asks_for_the_nonce_with_a_dpop_challenge(settings: Settings) -> None:
    flow = Flow(_app(settings, nonce="always"))
    tokens = Tokens(flow)
    r = tokens.redeem(_login(flow))
    nonce = r.headers["DPoP-Nonce"]
    ok = tokens.redeem(_login(flow), proof=tokens.key.proof("POST", tokens.url, nonce=nonce))
    access = ok.json["access_token"]
    u = tokens.userinfo(access)
    assert u.status_code == 401
    assert 'error="use_dpop_nonce"' in u.headers["WWW-Authenticate"]  # §9
    url = flow.issuer + "/userinfo"
    again = tokens.userinfo(access, proof=tokens.key.proof(
        "GET", url, access_token=access, nonce=u.headers["DPoP-Nonce"]))
    assert again.status_code == 200


def test_by_default_only_fapi2_clients_need_nonces(dflow: Flow, settings: Settings) -> None:
    assert Settings().dpop_nonce == "fapi2"
    flow = Flow(_app(settings, nonce="fapi2"))
    r = Tokens(flow).redeem(_login(flow))
    assert r.status_code == 200
    assert "DPoP-Nonce" not in r.headers


# --- the relying party against the service --------------------------------------------

@pytest.mark.parametrize("nonce", ["off", "always"])
def test_relying_party_with_dpop_against_the_service(settings: Settings, nonce: str) -> None:
    flow = Flow(_app(settings, nonce=nonce))
    http = InProcessHttp(flow.api)
    rp = RelyingParty(issuer=flow.issuer, client_id=DPOP.client_id,
                      client_secret=DPOP.secret, redirect_uri=DPOP.redirect_uri,
                      scopes=("openid", "profile", "offline_access"), dpop=True, http=http)
    url, pending = rp.start_login()
    auth = Authorization(query(url), pending.code_verifier)
    result = rp.complete_login(flow.authorize(auth), pending)
    assert result.tokens.token_type == "DPoP"
    assert result.userinfo["sub"] == result.subject
    assert result.tokens.refresh_token is not None
    refreshed = rp.refresh(result.tokens.refresh_token, subject=result.subject)
    assert refreshed.token_type == "DPoP"
    # With nonces on, the first token request is answered use_dpop_nonce and retried.
    assert (("/token", 400) in http.calls) == (nonce == "always")


def test_discovery_advertises_the_dpop_algorithms(dflow: Flow) -> None:
    meta = dflow.api.get("/.well-known/openid-configuration").json
    assert meta["dpop_signing_alg_values_supported"] == ["ES256", "PS256", "EdDSA"]


# --- PAR (RFC 9449 §10.1): the check the /par endpoint calls ---------------------------

@pytest.mark.parametrize(("proof", "dpop_jkt", "expected"), [
    (True, None, "proof"),  # the proof's key binds the code
    (False, "given", "given"),  # dpop_jkt alone binds it
    (True, "proof", "proof"),
    (True, "other", "invalid_dpop_proof"),
    (False, None, None),  # optional at PAR even for a dpop_bound client (§10.1 "MAY")
])
def test_check_par_dpop(settings: Settings, proof: bool, dpop_jkt: str | None,
                        expected: str | None) -> None:
    from eid.errors import InvalidDpopProof
    from service.dpop import check_par_dpop

    app = _app(settings)
    p = app.extensions["eid"]
    key = DpopKey()
    jkts = {"proof": jwk_thumbprint(key.key.public_jwk),
            "given": jwk_thumbprint(DpopKey().key.public_jwk),
            "other": jwk_thumbprint(DpopKey().key.public_jwk)}
    headers = {"DPoP": key.proof("POST", p.issuer + "/par")} if proof else {}
    client = p.clients.get(DPOP.client_id)
    with app.test_request_context("/par", method="POST", headers=headers):
        if expected == "invalid_dpop_proof":
            with pytest.raises(InvalidDpopProof):
                check_par_dpop(p, client, jkts.get(dpop_jkt or ""))
        else:
            assert check_par_dpop(p, client, jkts.get(dpop_jkt or "")) == \
                jkts.get(expected or "")


# --- the testing kit's DPoP faults, each refused for its reason ------------------------

@pytest.mark.parametrize("name", list(DPOP_FAULTS))
def test_each_dpop_fault_is_refused_at_userinfo(dflow: Flow, name: str) -> None:
    fault = DPOP_FAULTS[name]
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    url = dflow.issuer + "/userinfo"
    headers = dpop_headers(tokens.key, "GET", url, access, fault=name)
    for _ in range(fault.times - 1):
        assert dflow.api.get("/userinfo", headers=headers).status_code == 200
    r = dflow.api.get("/userinfo", headers=headers)
    assert (r.status_code, r.json["error"]) == (401, fault.expected_code)
    assert r.headers["WWW-Authenticate"].startswith("DPoP ")


def test_the_good_headers_pass_and_an_unknown_fault_is_named(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    url = dflow.issuer + "/userinfo"
    assert dflow.api.get("/userinfo", headers=dpop_headers(tokens.key, "GET", url,
                                                           access)).status_code == 200
    with pytest.raises(ConfigurationError, match="replayed_proof"):
        dpop_headers(tokens.key, "GET", url, access, fault="nope")


def test_revocation_and_introspection_take_a_dpop_bound_token_as_usual(dflow: Flow) -> None:
    tokens = Tokens(dflow)
    access = tokens.redeem(_login(dflow)).json["access_token"]
    r = dflow.api.post("/revoke", data={"token": access}, headers=_basic(DPOP))
    assert r.status_code == 200
    assert dflow.introspect(access, DPOP) == {"active": False}


def test_the_nonce_setting_comes_from_the_environment_and_is_checked() -> None:
    assert Settings.from_env({"EID_DPOP_NONCE": "always"}).dpop_nonce == "always"
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env({"EID_DPOP_NONCE": "sometimes"})
    assert info.value.code == "invalid_setting"


# --- two workers on one Redis: nonces and the replay cache are shared ------------------

@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_dpop_nonce_and_replay_hold_across_workers_on_redis(settings: Settings,
                                                            redis_url: str) -> None:
    shared = settings.with_(redis_url=redis_url)
    one, two = Flow(_app(shared, nonce="always")), Flow(_app(shared, nonce="always"))
    two.browser = one.browser  # the same citizen's browser, whichever worker answers
    tokens_one, tokens_two = Tokens(one), Tokens(two)
    tokens_two.key = tokens_one.key
    nonce = tokens_one.redeem(_login(one)).headers["DPoP-Nonce"]
    proof = tokens_one.key.proof("POST", tokens_one.url, nonce=nonce)
    # Worker two accepts worker one's nonce (one instance secret) ...
    assert tokens_two.redeem(_login(one), proof=proof).status_code == 200
    # ... and refuses the proof when it comes back to worker one (one replay cache).
    r = tokens_one.redeem(_login(one), proof=proof)
    assert (r.status_code, r.json["error"]) == (400, "invalid_dpop_proof")
    one.app.extensions["eid"].ephemeral.clear()
