"""The credential issuer (OpenID4VCI 1.0) of the login service: its metadata, its
``c_nonce`` values and the issuance of one SD-JWT VC per Credential Request.

Authorization-code flow only: the portal asks for the scope :data:`CREDENTIAL_SCOPE`
at login, the citizen consents to it beside the data scopes, and the access token
(Bearer or DPoP-bound, checked by :mod:`service.resource_access` exactly as userinfo
checks it) carries it to the Credential Endpoint. The credential
(:data:`VCT`, ``typ: dc+sd-jwt``) holds exactly what userinfo would release for that
token, each claim its own disclosure, plus the plain ``client_id`` of the portal it
was issued to, ``cnf.jwk`` the portal's proven key, and a Token Status List entry
(:mod:`service.credential_status`) that turns invalid when the citizen withdraws the
portal's access. Every issuance is a release in the data-access log before it leaves.
"""

from __future__ import annotations

from typing import Any, Final

from eid.credentials import CITIZEN_DATA_VCT, issue_sd_jwt
from eid.errors import (
    ConfigurationError,
    CredentialRequestDenied,
    InsufficientScope,
    InvalidNonce,
    InvalidToken,
)
from service.audit import consent_basis, grant_procedure, record_release
from service.credential_nonce import C_NONCE_TTL
from service.credential_proof import PROOF_ALGS, verify_key_proof
from service.credential_request import CredentialRequest
from service.credential_status import status_claim
from service.provider import Provider
from service.resource_access import ResourceAccess, released_claims
from service.state_keys import c_nonce

__all__ = [
    "CONFIGURATIONS",
    "CONFIGURATION_ID",
    "CREDENTIAL_SCOPE",
    "C_NONCE_TTL",
    "VCT",
    "issue_credential",
    "issuer_metadata",
    "new_c_nonce",
]

#: The scope that requests the credential (in fixtures/scopes.json, with its labels).
CREDENTIAL_SCOPE: Final = "citizen_credential"
#: The one credential configuration (§12.2.4) and its SD-JWT VC type.
CONFIGURATION_ID: Final = "citizen_data"
VCT: Final = CITIZEN_DATA_VCT
#: The configurations by id, with the scope each needs (what the request parser checks).
CONFIGURATIONS: Final = {CONFIGURATION_ID: CREDENTIAL_SCOPE}
_ALG: Final = "ES256"  # the key store's P-256 key signs credentials


def issuer_metadata(p: Provider) -> dict[str, Any]:
    """The Credential Issuer Metadata (§12.2.4), every value true of this issuer."""
    base = p.issuer
    claims = [{"path": [a.claim],
               "display": [{"name": a.label_vi, "locale": "vi"},
                           {"name": a.label_en, "locale": "en"}]}
              for a in p.catalogue.attributes.values()]
    return {
        "credential_issuer": base,
        # §12.2.4: the issuer is its own authorization server (the login service).
        "authorization_servers": [base],
        "credential_endpoint": f"{base}/credential",
        "nonce_endpoint": f"{base}/nonce",
        "display": [{"name": "Hệ thống định danh và xác thực điện tử (demo)", "locale": "vi"},
                    {"name": "Electronic identification service (demo)", "locale": "en"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                # Appendix A.3 (IETF SD-JWT VC).
                "format": "dc+sd-jwt",
                "vct": VCT,
                "scope": CREDENTIAL_SCOPE,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [_ALG],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
                "credential_metadata": {
                    "display": [
                        {"name": "Dữ liệu công dân từ Cơ sở dữ liệu quốc gia về dân cư",
                         "locale": "vi"},
                        {"name": "Citizen data from the National Population Database",
                         "locale": "en"}],
                    "claims": claims,
                },
            },
        },
    }


def new_c_nonce(p: Provider) -> str:
    """A fresh ``c_nonce`` (§7.2), valid for :data:`C_NONCE_TTL` seconds; nothing is
    stored until it is used (:mod:`service.credential_nonce`)."""
    return p.c_nonces.new(p.now())


def issue_credential(p: Provider, access: ResourceAccess, req: CredentialRequest) -> str:
    """The SD-JWT VC for a checked access token and a well-formed request (§8).

    :raises InsufficientScope: the token does not carry the configuration's scope
        (§8.3.1.1, RFC 6750 §3.1).
    :raises InvalidProof: the key proof fails a check.
    :raises InvalidNonce: its ``c_nonce`` is unknown, expired or used.
    :raises InvalidToken: the grant was revoked while the request ran.
    :raises CredentialRequestDenied: the data is too large for one credential.
    :raises StorageError: the release could not be logged (nothing is issued).
    """
    client, grant = access.client, access.grant
    if CONFIGURATIONS[req.configuration_id] not in access.scopes:
        raise InsufficientScope(f"the access token lacks the scope {CREDENTIAL_SCOPE}")
    now = p.now()
    proof = verify_key_proof(req.proof, audience=p.issuer, client_id=client.client_id,
                             now=now)
    # Checked last, used up at once: a proof that fails another check never burns the
    # portal's nonce, and one nonce serves one request only (§7, Appendix F.1): a used one
    # is remembered until it would have expired anyway.
    expires = p.c_nonces.expires(proof.nonce, now)
    if expires is None or not p.ephemeral.add(c_nonce(proof.nonce), {},
                                              max(1.0, expires - now)):
        raise InvalidNonce("the proof's nonce is not a fresh c_nonce: fetch a new one")
    claims = released_claims(p, access)
    iat = int(now)
    idx = p.durable.add_credential_status(grant.subject, client.client_id, grant.grant_id,
                                          expires_at=iat + p.settings.credential_ttl, now=now)
    if idx is None:
        raise InvalidToken("the access token no longer grants access")
    try:
        credential = issue_sd_jwt(
            claims, key=p.keys.signing_key(_ALG), issuer=p.issuer, vct=VCT,
            holder_jwk=proof.jwk, iat=iat, exp=iat + p.settings.credential_ttl,
            plain={"client_id": client.client_id}, status=status_claim(p, idx))
    except ConfigurationError as exc:
        if exc.code != "unrepresentable_claims":
            raise
        # Data no verifier would accept in one credential (its size caps): §8.3.1.2 says
        # the portal should not retry; it still has userinfo.
        raise CredentialRequestDenied("the citizen's data is too large for one credential") \
            from exc
    # Issue 14: the release is logged before the credential leaves (or it never does).
    record_release(p, citizen=grant.subject, client=client, action="credential",
                   attributes=claims, procedure=grant_procedure(grant),
                   basis=consent_basis(access.scopes))
    return credential
