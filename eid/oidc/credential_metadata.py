"""A credential issuer's metadata, as a holder checks it (OpenID4VCI 1.0 §12.2).

Below :mod:`eid.oidc.credential_request`, which fetches it: where the document is
(§12.2.2), that it names the issuer asked for (§12.2.3), and the choice of an SD-JWT VC
configuration the holder's key can be bound to (§12.2.4).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import ConfigurationError, LoginError
from eid.verify.remote import check_url

__all__ = ["SD_JWT_FORMAT", "CredentialIssuerMetadata", "metadata_url"]

#: SD-JWT VC (OpenID4VCI 1.0 Appendix A.3): the credential format.
SD_JWT_FORMAT: Final = "dc+sd-jwt"


def metadata_url(issuer: str) -> str:
    """Where the metadata of ``issuer`` is (§12.2.2): ``/.well-known/openid-credential-issuer``
    inserted between the host and the issuer's path."""
    parts = urllib.parse.urlsplit(issuer)
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, "/.well-known/openid-credential-issuer" + path, "", ""))


def _bad(message: str) -> LoginError:
    return LoginError(message, code="credential_issuer_metadata_invalid")


def _url(doc: Mapping[str, Any], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str):
        raise _bad(f"the credential issuer metadata lacks {name}")
    try:
        check_url(value)
    except ConfigurationError as exc:
        raise _bad(f"{name} is not an acceptable URL ({exc.code})") from exc
    return value


@dataclass(frozen=True, slots=True)
class CredentialIssuerMetadata:
    """What a holder needs of the issuer's metadata, checked (§12.2.4)."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    #: ``credential_configurations_supported``: id → configuration object.
    configurations: Mapping[str, Mapping[str, Any]]

    @classmethod
    def parse(cls, doc: object, *, issuer: str) -> CredentialIssuerMetadata:
        """Check a metadata document fetched for ``issuer``.

        :raises LoginError: ``credential_issuer_mismatch`` (§12.2.3: the identifier in
            the document must be the one asked for, against a mix-up between issuers),
            ``credential_issuer_metadata_invalid``.
        """
        if not isinstance(doc, dict):
            raise _bad("the credential issuer metadata is not a JSON object")
        if doc.get("credential_issuer") != issuer:
            raise LoginError("the metadata names another credential issuer",
                             code="credential_issuer_mismatch")
        configs = doc.get("credential_configurations_supported")
        if not isinstance(configs, dict) or not all(
                isinstance(k, str) and isinstance(v, dict) for k, v in configs.items()):
            raise _bad("credential_configurations_supported is not an object of objects")
        nonce = _url(doc, "nonce_endpoint") if "nonce_endpoint" in doc else None
        return cls(issuer, _url(doc, "credential_endpoint"), nonce, configs)

    def choose(self, *, alg: str, configuration_id: str | None = None,
               scope: str | None = None, vct: str | None = None) -> str:
        """The id of the SD-JWT VC configuration named by ``configuration_id``, or the one
        requested by ``scope`` or issuing ``vct``, that binds to a JWK proven with ``alg``.

        :raises LoginError: ``credential_configuration_unknown`` (none fits),
            ``credential_configuration_unsupported`` (it does not bind to a key this
            holder can prove).
        """
        if configuration_id is not None:
            found = [configuration_id] if configuration_id in self.configurations else []
        else:
            found = [cid for cid, c in self.configurations.items()
                     if c.get("format") == SD_JWT_FORMAT
                     and (scope is None or c.get("scope") == scope)
                     and (vct is None or c.get("vct") == vct)]
        if len(found) != 1:
            raise LoginError("the issuer offers no (single) credential configuration that fits",
                             code="credential_configuration_unknown")
        config = self.configurations[found[0]]
        proofs = config.get("proof_types_supported")
        jwt_proof = proofs.get("jwt") if isinstance(proofs, dict) else None
        algs = jwt_proof.get("proof_signing_alg_values_supported") \
            if isinstance(jwt_proof, dict) else None
        methods = config.get("cryptographic_binding_methods_supported")
        if config.get("format") != SD_JWT_FORMAT or not isinstance(methods, list) \
                or "jwk" not in methods or not isinstance(algs, list) or alg not in algs:
            raise LoginError(f"configuration {found[0]!r} is not an SD-JWT VC bound to a "
                             f"JWK proven with {alg}", code="credential_configuration_unsupported")
        return found[0]
