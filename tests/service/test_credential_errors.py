"""The Credential Endpoint's refusals (OpenID4VCI 1.0 §8.3.1): each bad request, key proof
and access token gets its own stable ``error``, HTTP status and no credential."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eid.signing import sign_segments
from tests.service.fapi import client_key
from tests.service.flow import Flow
from tests.service.holder import CONFIG, Holder, encode, public_jwk, tokens

# -- the request body (§8.2, §8.3.1.2) -------------------------------------------------------

PROOF = "<proof>"  # replaced by a valid proof for a fresh nonce

BODIES: dict[str, tuple[object, str]] = {
    "a JSON array": ([], "invalid_credential_request"),
    "no credential_configuration_id": (
        {"proofs": {"jwt": [PROOF]}}, "invalid_credential_request"),
    "a numeric credential_configuration_id": (
        {"credential_configuration_id": 1, "proofs": {"jwt": [PROOF]}},
        "invalid_credential_request"),
    "a credential_identifier (none was issued)": (
        {"credential_identifier": "x", "credential_configuration_id": CONFIG,
         "proofs": {"jwt": [PROOF]}}, "invalid_credential_request"),
    "an unknown configuration": (
        {"credential_configuration_id": "university_degree", "proofs": {"jwt": [PROOF]}},
        "unknown_credential_configuration"),
    "response encryption asked for": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": [PROOF]},
         "credential_response_encryption": {"enc": "A256GCM"}},
        "invalid_encryption_parameters"),
    "no proofs": ({"credential_configuration_id": CONFIG}, "invalid_proof"),
    "the draft's single proof instead of proofs": (
        {"credential_configuration_id": CONFIG, "proof": {"proof_type": "jwt", "jwt": PROOF}},
        "invalid_proof"),
    "proofs not an object": (
        {"credential_configuration_id": CONFIG, "proofs": [PROOF]}, "invalid_proof"),
    "two proof types": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": [PROOF], "di_vp": [{}]}},
        "invalid_proof"),
    "another proof type": (
        {"credential_configuration_id": CONFIG, "proofs": {"attestation": [PROOF]}},
        "invalid_proof"),
    "proofs.jwt not an array": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": PROOF}}, "invalid_proof"),
    "no proof in proofs.jwt": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": []}}, "invalid_proof"),
    "two proofs (no batch issuance)": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": [PROOF, PROOF]}},
        "invalid_proof"),
    "a proof that is not a string": (
        {"credential_configuration_id": CONFIG, "proofs": {"jwt": [{"jwt": PROOF}]}},
        "invalid_proof"),
}


def _fill(value: object, proof: str) -> object:
    if value == PROOF:
        return proof
    if isinstance(value, dict):
        return {k: _fill(v, proof) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, proof) for v in value]
    return value


def _refused(r: Any, status: int, code: str) -> None:
    assert (r.status_code, r.json["error"]) == (status, code), r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.json["error_description"].isascii()  # §8.3.1.2: ASCII only
    assert "credentials" not in r.json


@pytest.mark.parametrize(("body", "code"), BODIES.values(), ids=BODIES.keys())
def test_a_malformed_credential_request_is_refused(flow: Flow, body: object, code: str) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    proof = holder.proof(holder.nonce(), int(time.time()))
    _refused(holder.request(access, _fill(body, proof)), 400, code)


RAW: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"credential_configuration_id=citizen_data", "application/json"),
    "a duplicate member": (
        b'{"credential_configuration_id":"citizen_data","credential_configuration_id":"x"}',
        "application/json"),
    "NaN": (b'{"credential_configuration_id":NaN}', "application/json"),
    "not UTF-8": (b'{"credential_configuration_id":"\xff"}', "application/json"),
    "deeply nested": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    "a form body": (b"credential_configuration_id=citizen_data",
                    "application/x-www-form-urlencoded"),
    "no content type": (b"{}", ""),
}


@pytest.mark.parametrize(("raw", "mimetype"), RAW.values(), ids=RAW.keys())
def test_a_body_that_is_not_one_strict_json_object_is_refused(
        flow: Flow, raw: bytes, mimetype: str) -> None:
    access = tokens(flow)["access_token"]
    r = flow.api.post("/credential", data=raw, headers={
        "Authorization": f"Bearer {access}", **({"Content-Type": mimetype} if mimetype else {})})
    _refused(r, 400, "invalid_credential_request")


# -- the key proof (Appendix F.1) --------------------------------------------------------------

Mutation = Callable[[Holder, str, int], str]


def _with_header(**changes: Any) -> Mutation:
    return lambda h, nonce, now: h.proof(nonce, now, header=h.header(**changes))


def _with_claims(**changes: Any) -> Mutation:
    return lambda h, nonce, now: h.proof(nonce, now, claims=h.claims(nonce, now, **changes))


def _without_claim(name: str) -> Mutation:
    def make(h: Holder, nonce: str, now: int) -> str:
        claims = h.claims(nonce, now)
        del claims[name]
        return h.proof(nonce, now, claims=claims)
    return make


def _unsigned(h: Holder, nonce: str, now: int) -> str:
    return f"{encode(h.header(alg='none'))}.{encode(h.claims(nonce, now))}."


def _private_jwk(h: Holder, nonce: str, now: int) -> str:
    jwk = {**public_jwk(h.key), "d": "AAAA"}
    return h.proof(nonce, now, header=h.header(jwk=jwk))


def _signed_by_another_key(h: Holder, nonce: str, now: int) -> str:
    return h.proof(nonce, now, key=client_key("ec-p256-b"))


def _rsa_key(h: Holder, nonce: str, now: int) -> str:
    rsa = client_key("rsa-2048")
    jwk = {m: rsa.public_jwk[m] for m in ("kty", "n", "e")}
    return sign_segments(encode(h.header(alg="RS256", jwk=jwk)), encode(h.claims(nonce, now)),
                         rsa)


PROOFS: dict[str, tuple[Mutation, str]] = {
    "no typ": (_with_header(typ=None), "invalid_proof"),
    "typ JWT": (_with_header(typ="JWT"), "invalid_proof"),
    "a DPoP proof's typ": (_with_header(typ="dpop+jwt"), "invalid_proof"),
    "a KB-JWT's typ": (_with_header(typ="kb+jwt"), "invalid_proof"),
    "alg none": (_unsigned, "invalid_proof"),
    "an RSA key (RS256)": (_rsa_key, "invalid_proof"),
    "alg EdDSA on a P-256 key": (_with_header(alg="EdDSA"), "invalid_proof"),
    "no jwk": (_with_header(jwk=None), "invalid_proof"),
    "a jwk that is not an object": (_with_header(jwk="key"), "invalid_proof"),
    "a private jwk": (_private_jwk, "invalid_proof"),
    "a kid beside the jwk": (_with_header(kid="ec-p256"), "invalid_proof"),
    "an x5c beside the jwk": (_with_header(x5c=["MIIB"]), "invalid_proof"),
    "a crit header": (_with_header(crit=["exp"]), "invalid_proof"),
    "signed by another key than its jwk": (_signed_by_another_key, "invalid_proof"),
    "no aud": (_without_claim("aud"), "invalid_proof"),
    "another aud": (_with_claims(aud="https://issuer.example"), "invalid_proof"),
    "aud as an array holding the issuer": (
        lambda h, nonce, now: h.proof(nonce, now, claims=h.claims(nonce, now,
                                                                  aud=[h.flow.issuer])),
        "invalid_proof"),
    "iss another client": (_with_claims(iss="cong-dvc-quoc-gia-demo"), "invalid_proof"),
    "no iat": (_without_claim("iat"), "invalid_proof"),
    "iat a string": (_with_claims(iat="now"), "invalid_proof"),
    "iat a boolean": (_with_claims(iat=True), "invalid_proof"),
    "no nonce": (_without_claim("nonce"), "invalid_proof"),
    "nonce a number": (_with_claims(nonce=7), "invalid_proof"),
    "nonce empty": (_with_claims(nonce=""), "invalid_proof"),
    "a nonce never handed out": (_with_claims(nonce="made-up-nonce"), "invalid_nonce"),
    "not a JWS": (lambda h, nonce, now: "not-a-jws", "invalid_proof"),
    "a JWS with four segments": (lambda h, nonce, now: h.proof(nonce, now) + ".x",
                                 "invalid_proof"),
}


@pytest.mark.parametrize(("mutate", "code"), PROOFS.values(), ids=PROOFS.keys())
def test_a_bad_key_proof_is_refused(flow: Flow, mutate: Mutation, code: str) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    proof = mutate(holder, holder.nonce(), int(time.time()))
    _refused(holder.request(access, holder.body(proof)), 400, code)


@pytest.mark.parametrize(("name", "offset"), [("too old", -121), ("in the future", 61)])
def test_a_key_proof_outside_the_iat_window_is_refused(
        flow: Flow, name: str, offset: int) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    now = int(time.time())
    nonce = holder.nonce()
    proof = holder.proof(nonce, now, claims=holder.claims(nonce, now + offset))
    _refused(holder.request(access, holder.body(proof)), 400, "invalid_proof")


@pytest.mark.parametrize("offset", [-100, 0, 50])
def test_a_key_proof_inside_the_iat_window_is_accepted(flow: Flow, offset: int) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    now = int(time.time())
    nonce = holder.nonce()
    proof = holder.proof(nonce, now, claims=holder.claims(nonce, now + offset))
    assert holder.request(access, holder.body(proof)).status_code == 200


def test_iss_naming_the_requesting_client_and_an_upper_case_typ_are_accepted(
        flow: Flow) -> None:
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    now = int(time.time())
    nonce = holder.nonce()
    proof = holder.proof(nonce, now, header=holder.header(typ="OpenID4VCI-Proof+JWT"),
                         claims=holder.claims(nonce, now, iss="cong-dvc-hcm"))
    assert holder.request(access, holder.body(proof)).status_code == 200


# -- the access token (§8.3.1.1, RFC 6750 §3.1) ------------------------------------------------

def test_a_request_without_a_token_gets_a_bare_bearer_challenge(flow: Flow) -> None:
    r = flow.api.post("/credential", json={"credential_configuration_id": CONFIG})
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="eid"'


TOKENS: dict[str, dict[str, str]] = {
    "an unknown token": {"Authorization": "Bearer not-a-token"},
    "another scheme": {"Authorization": "Basic Y29uZy1kdmMtaGNtOnNlY3JldA=="},
    "an empty bearer": {"Authorization": "Bearer "},
}


@pytest.mark.parametrize("headers", TOKENS.values(), ids=TOKENS.keys())
def test_a_bad_access_token_is_refused_with_its_challenge(
        flow: Flow, headers: dict[str, str]) -> None:
    r = flow.api.post("/credential", json={"credential_configuration_id": CONFIG},
                      headers=headers)
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")
    assert r.headers["WWW-Authenticate"].startswith('Bearer realm="eid", error="invalid_token"')


def test_the_token_is_checked_before_the_body(flow: Flow) -> None:
    r = flow.api.post("/credential", data=b"garbage", headers={
        "Authorization": "Bearer not-a-token", "Content-Type": "application/json"})
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")


# -- anything at all ----------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.sampled_from([CONFIG, "jwt", "not.a.jws", "eyJhbGciOiJub25lIn0.e30."]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["credential_configuration_id", "proofs", "jwt", "proof",
                         "credential_identifier", "credential_response_encryption", "x"]),
        inner, max_size=4),
    max_leaves=12)


@pytest.fixture
def access_token(flow: Flow) -> str:
    # Function-scoped: one login for all of Hypothesis's examples.
    value: str = tokens(flow)["access_token"]
    return value


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_JSON)
def test_any_credential_request_is_refused_cleanly(flow: Flow, access_token: str,
                                                   body: object) -> None:
    r = Holder(flow).request(access_token, body)
    assert r.status_code in (400, 403), r.get_data(as_text=True)
    assert isinstance(r.json["error"], str) and r.json["error_description"].isascii()
