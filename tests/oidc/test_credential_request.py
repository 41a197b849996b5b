"""The holder side of OpenID4VCI 1.0: metadata, c_nonce, key proof, credential request."""

from __future__ import annotations

from typing import Any

import pytest

from eid.errors import LoginError, OAuthError
from eid.oidc import DpopKey, jwk_thumbprint
from eid.oidc.credential_request import (
    CredentialClient,
    CredentialHttp,
    CredentialIssuerMetadata,
    StdlibCredentialHttp,
    credential_proof,
    metadata_url,
)
from eid.signing import SigningKey
from eid.verify import KeySet
from eid.verify._codec import json_object
from eid.verify.jws import check_signature, parse_jws
from tests.oidc.fake_credential_issuer import (
    CONFIG_ID,
    ISSUER,
    SCOPE,
    VCT,
    FakeCredentialIssuer,
    metadata,
)


@pytest.fixture
def issuer() -> FakeCredentialIssuer:
    return FakeCredentialIssuer()


@pytest.fixture
def holder(signing_keys: dict[str, SigningKey]) -> SigningKey:
    return signing_keys["ec-p256-b"]


def client(issuer: FakeCredentialIssuer, holder: SigningKey, **kw: Any) -> CredentialClient:
    return CredentialClient(issuer=ISSUER, holder_key=holder, client_id="portal", http=issuer,
                            clock=lambda: issuer.now, **kw)


def test_metadata_url_inserts_the_well_known_path() -> None:
    assert metadata_url("https://a.example") == \
        "https://a.example/.well-known/openid-credential-issuer"
    assert metadata_url("https://a.example/tenant/1") == \
        "https://a.example/.well-known/openid-credential-issuer/tenant/1"


def test_the_stdlib_client_and_the_fake_fit_the_protocol(issuer: FakeCredentialIssuer) -> None:
    assert isinstance(StdlibCredentialHttp(), CredentialHttp)
    assert isinstance(issuer, CredentialHttp)


def test_a_credential_is_requested_with_a_proof_of_the_holder_key(
        issuer: FakeCredentialIssuer, holder: SigningKey) -> None:
    token = issuer.token()
    credential = client(issuer, holder).request(token, scope=SCOPE)
    assert credential.endswith("~")
    parsed = parse_jws(issuer.proofs[0])
    assert parsed.header["typ"] == "openid4vci-proof+jwt"
    assert "kid" not in parsed.header
    assert jwk_thumbprint(parsed.header["jwk"]) == jwk_thumbprint(holder.public_jwk)
    assert "d" not in parsed.header["jwk"]
    check_signature(parsed, KeySet.from_jwks({"keys": [parsed.header["jwk"]]}))
    claims = json_object(parsed.payload, "payload")
    assert claims["aud"] == ISSUER and claims["iss"] == "portal"
    assert claims["iat"] == int(issuer.now)
    assert claims["nonce"] and not issuer.nonces  # the c_nonce was used up
    credential_call = next(r for r in issuer.requests if r[1].endswith("/credential"))
    assert credential_call[2]["Authorization"] == f"Bearer {token}"


def test_the_configuration_is_found_by_id_scope_or_vct(issuer: FakeCredentialIssuer,
                                                       holder: SigningKey) -> None:
    c = client(issuer, holder)
    for how in ({"configuration_id": CONFIG_ID}, {"scope": SCOPE}, {"vct": VCT}):
        assert c.request(issuer.token(), **how).endswith("~")


def test_metadata_is_fetched_once(issuer: FakeCredentialIssuer, holder: SigningKey) -> None:
    c = client(issuer, holder)
    c.request(issuer.token(), scope=SCOPE)
    c.request(issuer.token(), scope=SCOPE)
    assert sum(1 for r in issuer.requests if "well-known" in r[1]) == 1


def test_a_refused_nonce_is_fetched_again_once(issuer: FakeCredentialIssuer,
                                               holder: SigningKey) -> None:
    issuer.refuse_nonce_once = True
    assert client(issuer, holder).request(issuer.token(), scope=SCOPE).endswith("~")
    assert len(issuer.proofs) == 2


def test_a_dpop_bound_token_sends_a_dpop_proof_and_retries_with_the_nonce(
        issuer: FakeCredentialIssuer, holder: SigningKey) -> None:
    dpop = DpopKey(clock=lambda: issuer.now)
    token = issuer.token(jkt=jwk_thumbprint(dpop.key.public_jwk))
    issuer.dpop_nonce = "server-nonce-1"
    c = client(issuer, holder, dpop=dpop)
    assert c.request(token, token_type="DPoP", scope=SCOPE).endswith("~")
    sent = [r[2] for r in issuer.requests if r[1].endswith("/credential")]
    assert len(sent) == 2  # the first without the nonce, answered use_dpop_nonce
    assert sent[-1]["Authorization"] == f"DPoP {token}"


def test_a_dpop_token_without_a_dpop_key_is_refused_here(issuer: FakeCredentialIssuer,
                                                         holder: SigningKey) -> None:
    with pytest.raises(LoginError) as err:
        client(issuer, holder).request(issuer.token(jkt="x"), token_type="DPoP", scope=SCOPE)
    assert err.value.code == "dpop_key_required"


def _drop(name: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        del doc[name]
    return change


def _config(**changes: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["credential_configurations_supported"][CONFIG_ID].update(changes)
    return change


def _set(name: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc[name] = value
    return change


@pytest.mark.parametrize(("mutate", "code"), [
    (_set("credential_issuer", "https://other.example"), "credential_issuer_mismatch"),
    (_drop("credential_issuer"), "credential_issuer_mismatch"),
    (_drop("credential_endpoint"), "credential_issuer_metadata_invalid"),
    (_set("credential_endpoint", "http://login.eid.test/credential"),
     "credential_issuer_metadata_invalid"),
    (_set("credential_endpoint", 7), "credential_issuer_metadata_invalid"),
    (_set("nonce_endpoint", "ftp://login.eid.test/nonce"), "credential_issuer_metadata_invalid"),
    (_drop("nonce_endpoint"), "credential_issuer_metadata_invalid"),
    (_set("credential_configurations_supported", []), "credential_issuer_metadata_invalid"),
    (_set("credential_configurations_supported", {CONFIG_ID: "x"}),
     "credential_issuer_metadata_invalid"),
    (_set("credential_configurations_supported", {}), "credential_configuration_unknown"),
    (_config(scope="other"), "credential_configuration_unknown"),
    (_config(format="jwt_vc_json"), "credential_configuration_unknown"),
    (_config(cryptographic_binding_methods_supported=["did:web"]),
     "credential_configuration_unsupported"),
    (_config(proof_types_supported={"jwt": {"proof_signing_alg_values_supported": ["RS256"]}}),
     "credential_configuration_unsupported"),
    (_config(proof_types_supported={"attestation": {}}), "credential_configuration_unsupported"),
    (_config(proof_types_supported="jwt"), "credential_configuration_unsupported"),
])
def test_bad_metadata_is_refused(issuer: FakeCredentialIssuer, holder: SigningKey,
                                 mutate: Any, code: str) -> None:
    mutate(issuer.meta)
    with pytest.raises(LoginError) as err:
        client(issuer, holder).request(issuer.token(), scope=SCOPE)
    assert err.value.code == code


def test_metadata_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(LoginError) as err:
        CredentialIssuerMetadata.parse([metadata()], issuer=ISSUER)
    assert err.value.code == "credential_issuer_metadata_invalid"


@pytest.mark.parametrize(("answer", "error", "code"), [
    ((400, {"error": "invalid_proof"}, {}), OAuthError, "invalid_proof"),
    ((400, {"error": "credential_request_denied", "error_description": "no"}, {}), OAuthError,
     "credential_request_denied"),
    ((403, {"error": "insufficient_scope"}, {}), OAuthError, "insufficient_scope"),
    ((401, "", {"www-authenticate": 'Bearer error="invalid_token"'}), OAuthError,
     "invalid_token"),
    ((500, "oops", {}), LoginError, "credential_request_failed"),
    ((400, {"error": "x" * 100}, {}), LoginError, "credential_request_failed"),
    ((202, {"transaction_id": "t"}, {}), LoginError, "credential_deferred"),
    ((200, {"credentials": []}, {}), LoginError, "bad_credential_response"),
    ((200, {"credentials": [{"credential": 5}]}, {}), LoginError, "bad_credential_response"),
    ((200, {"credentials": [{"credential": "no-tilde"}]}, {}), LoginError,
     "bad_credential_response"),
    ((200, {"credentials": [{"credential": "a~" * 40_000}]}, {}), LoginError,
     "bad_credential_response"),
    ((200, {"credential": "a~"}, {}), LoginError, "bad_credential_response"),
    ((200, ["a~"], {}), LoginError, "bad_credential_response"),
])
def test_issuer_answers_become_eid_errors(issuer: FakeCredentialIssuer, holder: SigningKey,
                                          answer: Any, error: type[Exception],
                                          code: str) -> None:
    issuer.answer = answer
    with pytest.raises(error) as err:
        client(issuer, holder).request(issuer.token(), scope=SCOPE)
    assert err.value.code == code  # type: ignore[attr-defined]


def test_an_unknown_token_is_the_issuers_invalid_token(issuer: FakeCredentialIssuer,
                                                       holder: SigningKey) -> None:
    with pytest.raises(OAuthError) as err:
        client(issuer, holder).request("not-a-token", scope=SCOPE)
    assert err.value.code == "invalid_token"


@pytest.mark.parametrize("nonce_body", [{}, {"c_nonce": 5}, {"c_nonce": ""}, [],
                                        {"c_nonce": "n" * 600}])
def test_a_bad_nonce_answer_is_refused(issuer: FakeCredentialIssuer, holder: SigningKey,
                                       nonce_body: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.oidc import fake_credential_issuer as fake

    real = issuer.request

    def request(method: str, url: str, **kw: Any) -> Any:
        if url.endswith("/nonce"):
            return fake._json(200, nonce_body)
        return real(method, url, **kw)

    monkeypatch.setattr(issuer, "request", request)
    with pytest.raises(LoginError) as err:
        client(issuer, holder).request(issuer.token(), scope=SCOPE)
    assert err.value.code == "nonce_request_failed"


def test_an_unreachable_metadata_document_is_named(issuer: FakeCredentialIssuer,
                                                   holder: SigningKey) -> None:
    c = CredentialClient(issuer="https://login.eid.test/elsewhere", holder_key=holder,
                         http=issuer)
    with pytest.raises(LoginError) as err:
        c.request(issuer.token(), scope=SCOPE)
    assert err.value.code == "credential_issuer_unavailable"


def test_the_proof_has_no_iss_without_a_client_id(holder: SigningKey) -> None:
    proof = credential_proof(holder, audience=ISSUER, nonce="n", iat=1)
    assert json_object(parse_jws(proof).payload, "p") == {"aud": ISSUER, "nonce": "n", "iat": 1}
