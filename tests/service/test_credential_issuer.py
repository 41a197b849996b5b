"""The credential issuer (OpenID4VCI 1.0): metadata, the nonce endpoint, issuance.

Every value the metadata advertises is checked against the behaviour; the credential
is verified with the library's own verifier (:func:`eid.verify.verify_sd_jwt`) and the
issuer's published keys, as a receiving office would.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from freezegun import freeze_time

from eid.verify import verify_sd_jwt
from eid.verify.jws import parse_jws
from service.provider import Provider
from tests.service.fapi import client_key
from tests.service.flow import HCM, LOA2, NATIONAL, Flow
from tests.service.holder import CLAIMS, CONFIG, SCOPE, SCOPES, Holder, public_jwk, tokens

VCT = "urn:eid:vn:citizen-data:1"


def _p(flow: Flow) -> Provider:
    value: Provider = flow.app.extensions["eid"]
    return value


def credential_of(r: Any) -> str:
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.json
    assert list(body) == ["credentials"] and len(body["credentials"]) == 1
    value: str = body["credentials"][0]["credential"]
    return value


def verified(flow: Flow, sd_jwt: str) -> dict[str, Any]:
    return verify_sd_jwt(sd_jwt, issuer=flow.issuer, jwks=flow.api.get("/jwks").json)


def metadata(flow: Flow) -> dict[str, Any]:
    r = flow.api.get("/.well-known/openid-credential-issuer")
    assert r.status_code == 200
    body: dict[str, Any] = r.json or {}
    return body


# -- metadata (§12.2) -----------------------------------------------------------------------

def test_the_metadata_names_this_issuer_and_its_endpoints(flow: Flow) -> None:
    meta = metadata(flow)
    assert meta["credential_issuer"] == flow.issuer
    assert meta["credential_endpoint"] == f"{flow.issuer}/credential"
    assert meta["nonce_endpoint"] == f"{flow.issuer}/nonce"
    # The authorization server is the login service: its own discovery says so.
    [server] = meta["authorization_servers"]
    discovery = flow.api.get("/.well-known/openid-configuration").json
    assert server == flow.issuer == discovery["issuer"]


def test_the_configuration_is_what_the_credential_endpoint_issues(flow: Flow) -> None:
    config = metadata(flow)["credential_configurations_supported"][CONFIG]
    assert config["format"] == "dc+sd-jwt"
    assert config["vct"] == VCT
    assert config["scope"] == SCOPE
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert config["credential_signing_alg_values_supported"] == ["ES256"]
    assert config["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
    token = credential_of(Holder(flow).credential(tokens(flow)["access_token"],
                                                  int(time.time())))
    header = parse_jws(token.split("~")[0]).header
    assert (header["typ"], header["alg"]) == ("dc+sd-jwt", "ES256")
    assert verified(flow, token)["vct"] == config["vct"]


def test_the_credential_scope_is_in_discovery_and_labelled_in_both_languages(
        flow: Flow) -> None:
    discovery = flow.api.get("/.well-known/openid-configuration").json
    assert SCOPE in discovery["scopes_supported"]
    scope = _p(flow).catalogue.scopes[SCOPE]
    assert scope.label("vi") and scope.label("en") and scope.label("vi") != scope.label("en")
    assert scope.description("vi") and scope.description("en")


def test_every_claim_the_metadata_lists_is_a_catalogue_claim_with_both_labels(
        flow: Flow) -> None:
    claims = metadata(flow)["credential_configurations_supported"][CONFIG][
        "credential_metadata"]["claims"]
    catalogue = {a.claim for a in _p(flow).catalogue.attributes.values()}
    assert {c["path"][0] for c in claims} == catalogue
    for claim in claims:
        assert {d["locale"] for d in claim["display"]} == {"vi", "en"}


def test_the_metadata_is_public_and_cacheable(flow: Flow) -> None:
    r = flow.api.get("/.well-known/openid-credential-issuer")
    assert r.headers["Cache-Control"].startswith("public")
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# -- the nonce endpoint (§7) -----------------------------------------------------------------

def test_the_nonce_endpoint_hands_out_a_fresh_uncacheable_nonce(flow: Flow) -> None:
    first = flow.api.post("/nonce")
    second = flow.api.post("/nonce")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert list(first.json) == ["c_nonce"]
    assert first.json["c_nonce"] != second.json["c_nonce"]
    assert len(first.json["c_nonce"]) >= 32


def test_the_nonce_endpoint_takes_post_only(flow: Flow) -> None:
    r = flow.api.get("/nonce")
    assert r.status_code == 405
    assert r.json["error"] == "invalid_request"


# -- issuance (§8) -------------------------------------------------------------------------

def test_the_credential_discloses_exactly_what_userinfo_releases(flow: Flow) -> None:
    body = tokens(flow)
    userinfo = flow.api.get("/userinfo", headers={
        "Authorization": f"Bearer {body['access_token']}"}).json
    claims = verified(flow, credential_of(Holder(flow).credential(body["access_token"],
                                                                  int(time.time()))))
    disclosed = {k: v for k, v in claims.items()
                 if k not in ("iss", "iat", "exp", "vct", "cnf", "status", "client_id")}
    assert disclosed == {k: v for k, v in userinfo.items() if k != "sub"}
    assert sorted(disclosed) == list(CLAIMS)


def test_only_the_consented_scopes_attributes_are_in_the_credential(flow: Flow) -> None:
    body = tokens(flow, scope=f"openid {SCOPE}")
    claims = verified(flow, credential_of(Holder(flow).credential(body["access_token"],
                                                                  int(time.time()))))
    assert set(claims) == {"iss", "iat", "exp", "vct", "cnf", "status", "client_id"}


def test_the_credential_is_bound_to_the_proven_key_and_names_its_portal(flow: Flow) -> None:
    holder = Holder(flow)
    now = int(time.time())
    claims = verified(flow, credential_of(holder.credential(tokens(flow)["access_token"],
                                                            now)))
    assert claims["cnf"] == {"jwk": public_jwk(holder.key)}
    assert claims["client_id"] == HCM.client_id
    assert claims["iss"] == flow.issuer
    assert claims["exp"] - claims["iat"] == _p(flow).settings.credential_ttl
    assert abs(claims["iat"] - now) <= 5


def test_every_attribute_is_a_disclosure_and_no_value_is_in_the_signed_part(
        flow: Flow) -> None:
    token = credential_of(Holder(flow).credential(tokens(flow)["access_token"],
                                                  int(time.time())))
    signed, *disclosures = token.split("~")
    payload = parse_jws(signed).payload.decode()
    for name in CLAIMS:
        assert f'"{name}"' not in payload
    assert len([d for d in disclosures if d]) >= len(CLAIMS)


def test_the_credential_answer_is_not_cacheable(flow: Flow) -> None:
    r = Holder(flow).credential(tokens(flow)["access_token"], int(time.time()))
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.mimetype == "application/json"


def test_a_nonce_serves_one_request_only(flow: Flow) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    body = holder.body(holder.proof(holder.nonce(), int(time.time())))
    assert holder.request(access, body).status_code == 200
    again = holder.request(access, body)
    assert (again.status_code, again.json["error"]) == (400, "invalid_nonce")


def test_a_nonce_expires_after_two_minutes(flow: Flow) -> None:
    holder = Holder(flow)
    with freeze_time() as clock:
        access = tokens(flow)["access_token"]
        nonce = holder.nonce()
        clock.tick(121)
        r = holder.request(access, holder.body(holder.proof(nonce, int(time.time()))))
    assert (r.status_code, r.json["error"]) == (400, "invalid_nonce")


def test_a_proof_that_fails_does_not_burn_the_nonce(flow: Flow) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    nonce, now = holder.nonce(), int(time.time())
    bad = holder.proof(nonce, now, claims=holder.claims(nonce, now, aud="https://other"))
    assert holder.request(access, holder.body(bad)).json["error"] == "invalid_proof"
    assert holder.request(access, holder.body(holder.proof(nonce, now))).status_code == 200


def test_a_token_without_the_credential_scope_gets_insufficient_scope(flow: Flow) -> None:
    access = tokens(flow, scope="openid profile")["access_token"]
    r = Holder(flow).credential(access, int(time.time()))
    assert (r.status_code, r.json["error"]) == (403, "insufficient_scope")


def test_a_portal_not_registered_for_the_scope_gets_no_credential(flow: Flow) -> None:
    # The national demo portal is not registered for credentials (fixtures/clients.json):
    # the scope is dropped from its grant, so its token cannot reach the endpoint.
    auth = flow.request(NATIONAL, scope=f"openid profile {SCOPE}")
    flow.authorize(auth)
    body = flow.redeem(auth, NATIONAL).json
    assert SCOPE not in body["scope"].split()
    r = Holder(flow).credential(body["access_token"], int(time.time()))
    assert (r.status_code, r.json["error"]) == (403, "insufficient_scope")


def test_two_portals_keys_give_two_differently_bound_credentials(flow: Flow) -> None:
    access = tokens(flow)["access_token"]
    now = int(time.time())
    one = verified(flow, credential_of(Holder(flow).credential(access, now)))
    other_key = client_key("ec-p256-b")
    two = verified(flow, credential_of(Holder(flow, other_key).credential(access, now)))
    assert one["cnf"] != two["cnf"] == {"jwk": public_jwk(other_key)}
    assert one["status"]["status_list"]["idx"] != two["status"]["status_list"]["idx"]


@pytest.mark.parametrize("path", ["/credential", "/nonce"])
def test_the_credential_endpoints_answer_json_errors_before_routing(
        flow: Flow, path: str) -> None:
    r = flow.api.put(path)
    assert r.status_code == 405
    assert r.mimetype == "application/json"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_consent_screen_names_the_credential_in_the_citizens_language(
        flow: Flow, lang: str) -> None:
    auth = flow.request(scope=SCOPES, ui_locales=lang)
    r = flow.follow(flow.start(auth))
    r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    page = r.get_data(as_text=True)
    assert 'id="consent-form"' in page
    assert _p(flow).catalogue.scopes[SCOPE].label(lang) in page
