"""Reading a Credential Request (OpenID4VCI 1.0 §8.2) before anything is checked against it.

The body is one strict JSON object (the parser of :mod:`eid.verify`: UTF-8, no
duplicate members, no ``NaN``, a nesting cap; the service's 64 KiB body cap before
it). Each way to get it wrong has its §8.3.1.2 code:

* not ``application/json``, not one JSON object, ``credential_configuration_id``
  missing or not a string, or ``credential_identifier`` (this issuer returns no
  ``credential_identifiers`` in the token response, so one can only be wrong):
  ``invalid_credential_request``;
* a configuration this issuer does not list: ``unknown_credential_configuration``;
* ``credential_response_encryption`` (not offered, so not advertised):
  ``invalid_encryption_parameters``;
* ``proofs`` missing, not an object of exactly one proof type, a type other than
  ``jwt``, or not exactly one proof (no batch issuance is advertised): ``invalid_proof``.

Members not defined by §8.2 are ignored, as JSON extension points are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eid.errors import (
    InvalidCredentialRequest,
    InvalidEncryptionParameters,
    InvalidProof,
    TokenError,
    UnknownCredentialConfiguration,
)
from eid.verify._codec import json_object

__all__ = ["CredentialRequest", "parse_credential_request"]


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """A well-formed Credential Request for a known configuration."""

    configuration_id: str
    #: The one ``jwt`` key proof, unchecked (:func:`service.credential_proof.verify_key_proof`).
    proof: object


def _body(mimetype: str, raw: bytes) -> dict[str, Any]:
    if mimetype != "application/json":
        raise InvalidCredentialRequest("the Credential Request must be application/json")
    try:
        return json_object(raw, "the Credential Request")
    except TokenError as exc:
        raise InvalidCredentialRequest(str(exc)) from exc


def _proof(body: Mapping[str, Any]) -> object:
    proofs = body.get("proofs")
    if proofs is None:
        raise InvalidProof("proofs is required: a jwt key proof of the holder's key")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise InvalidProof("proofs must be an object with exactly one proof type")
    values = proofs.get("jwt")
    if values is None:
        raise InvalidProof("the only proof type accepted is jwt")
    if not isinstance(values, list) or len(values) != 1:
        raise InvalidProof("proofs.jwt must be an array of exactly one proof")
    return values[0]


def parse_credential_request(mimetype: str, raw: bytes,
                             configurations: Mapping[str, object]) -> CredentialRequest:
    """The request in ``raw`` (its content type ``mimetype``), for one of ``configurations``.

    :raises InvalidCredentialRequest: see the module's list.
    :raises UnknownCredentialConfiguration: the configuration is not offered.
    :raises InvalidEncryptionParameters: response encryption was asked for.
    :raises InvalidProof: ``proofs`` is missing or malformed.
    """
    body = _body(mimetype, raw)
    if "credential_identifier" in body:
        raise InvalidCredentialRequest(
            "credential_identifier is not used here: send credential_configuration_id")
    config_id = body.get("credential_configuration_id")
    if config_id is None:
        raise InvalidCredentialRequest("credential_configuration_id is required")
    if not isinstance(config_id, str):
        raise InvalidCredentialRequest("credential_configuration_id must be a string")
    if config_id not in configurations:
        raise UnknownCredentialConfiguration(
            "credential_configuration_id names no configuration of this issuer")
    if "credential_response_encryption" in body:
        raise InvalidEncryptionParameters("this issuer does not encrypt Credential Responses")
    return CredentialRequest(configuration_id=config_id, proof=_proof(body))
