"""Every error the ``eid`` library raises, in one tree and without logic.

A caller rejects anything with a single ``except EidError``; the ``code`` is a
stable snake_case string to branch on, log, or show (never parse the message).

    EidError
    ├── ConfigurationError     the caller's mistake (bad argument, bad settings)
    ├── TokenError             a token failed a rule (``code``: a :class:`TokenFailure`)
    ├── KeySourceError         a key set could not be fetched or is malformed
    ├── DataError              a data file (identities, clients, scopes, forms,
    │   │                      procedures) failed validation (``source``, ``field``)
    │   └── DataFileMissing    a data file is missing or unreadable (``source``)
    ├── PopulationError        citizen data
    │   ├── IdNumberError      a personal ID number is malformed
    │   ├── DocumentError      a card's MRZ or QR payload is malformed (``field``)
    │   └── NotFoundError      no such citizen
    ├── StorageError           a store failed (connection, corruption)
    ├── AuditError             the data-access log: a malformed entry, a proof or
    │                          checkpoint that does not verify
    ├── LoginError             the relying party could not complete a login
    └── OAuthError             an OAuth 2.0 / OpenID Connect protocol error: one class
                               per error code (RFC 6749 §4.1.2.1, §5.2; OIDC Core
                               §3.1.2.6; RFC 6750 §3.1; OpenID4VCI 1.0 §8.3.1.2),
                               each knowing its HTTP status
                               and whether it may be sent back to the redirect URI
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "OAUTH_ERRORS",
    "AccessDenied",
    "AuditError",
    "ConfigurationError",
    "ConsentRequired",
    "CredentialRequestDenied",
    "DataError",
    "DataFileMissing",
    "DocumentError",
    "EidError",
    "IdNumberError",
    "InsufficientScope",
    "InteractionRequired",
    "InvalidAuthorizationDetails",
    "InvalidClient",
    "InvalidClientMetadata",
    "InvalidCredentialRequest",
    "InvalidDpopProof",
    "InvalidEncryptionParameters",
    "InvalidGrant",
    "InvalidNonce",
    "InvalidProof",
    "InvalidRedirectUri",
    "InvalidRequest",
    "InvalidRequestUri",
    "InvalidScope",
    "InvalidToken",
    "KeySourceError",
    "LoginError",
    "LoginRequired",
    "NotFoundError",
    "OAuthError",
    "PopulationError",
    "RateLimited",
    "RequestNotSupported",
    "RequestUriNotSupported",
    "ServerError",
    "StorageError",
    "TemporarilyUnavailable",
    "TokenError",
    "TokenFailure",
    "UnauthorizedClient",
    "UnknownCredentialConfiguration",
    "UnmetAuthenticationRequirements",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "UnsupportedTokenType",
    "UseDpopNonce",
]


class EidError(Exception):
    """Base of every ``eid`` error: a stable ``code`` and a human-readable message."""

    default_code = "eid_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code: str = code or self.default_code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ConfigurationError(EidError):
    """The caller passed an invalid argument or setting (not the token's fault)."""

    default_code = "invalid_configuration"


class TokenFailure(StrEnum):
    """Every rule a token can fail: the published values of :attr:`TokenError.code`.

    Members are strings (``TokenFailure.EXPIRED == "expired"``), so a portal can
    match on either; the testing kit's faults name the member they earn. The
    README lists them with their meaning.
    """

    # Format (RFC 7515 §5.2, RFC 8725 §3.1)
    TOO_LARGE = "too_large"
    NOT_A_STRING = "not_a_string"
    MALFORMED = "malformed"
    JWE_NOT_SUPPORTED = "jwe_not_supported"
    BAD_BASE64 = "bad_base64"
    BAD_JSON = "bad_json"
    TOO_DEEP = "too_deep"
    # Header (RFC 7515 §4.1, RFC 8725 §2.1 and §3.11)
    BAD_HEADER = "bad_header"
    ALG_NONE = "alg_none"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    CRIT_UNSUPPORTED = "crit_unsupported"
    B64_UNSUPPORTED = "b64_unsupported"
    NESTED_TOKEN = "nested_token"  # noqa: S105 (a code, not a secret)
    WRONG_TOKEN_TYPE = "wrong_token_type"  # noqa: S105
    # Key and signature
    UNKNOWN_KID = "unknown_kid"
    KEY_REJECTED = "key_rejected"
    KEY_MISMATCH = "key_mismatch"
    NO_MATCHING_KEY = "no_matching_key"
    AMBIGUOUS_KEY = "ambiguous_key"
    BAD_SIGNATURE = "bad_signature"
    # Claims (OIDC Core 3.1.3.7, Back-Channel Logout 1.0 §2.6)
    INVALID_CLAIM = "invalid_claim"
    MISSING_CLAIM = "missing_claim"
    INVALID_ISSUER = "invalid_issuer"
    INVALID_AUDIENCE = "invalid_audience"
    INVALID_AZP = "invalid_azp"
    INVALID_SUBJECT = "invalid_subject"
    MISSING_SUBJECT = "missing_subject"
    EXPIRED = "expired"
    ISSUED_IN_FUTURE = "issued_in_future"
    NOT_YET_VALID = "not_yet_valid"
    AUTH_TOO_OLD = "auth_too_old"
    NONCE_MISMATCH = "nonce_mismatch"
    NONCE_FORBIDDEN = "nonce_forbidden"
    AT_HASH_MISMATCH = "at_hash_mismatch"
    C_HASH_MISMATCH = "c_hash_mismatch"
    ACR_TOO_LOW = "acr_too_low"
    INVALID_EVENT = "invalid_event"
    TOKEN_TOO_OLD = "token_too_old"  # noqa: S105 - a logout token's iat beyond max_age
    JTI_REPLAYED = "jti_replayed"  # a single-use jti seen before (RFC 7523 §3 item 7)
    # Encryption (RFC 7516, RFC 7518 §4-5, RFC 8725 §3.4 and §3.6); the
    # format codes above (too_large, bad_base64, bad_json...) apply too.
    JWE_MALFORMED = "jwe_malformed"
    JWE_UNSUPPORTED_ALGORITHM = "jwe_unsupported_algorithm"
    JWE_ZIP_UNSUPPORTED = "jwe_zip_unsupported"
    JWE_INVALID_EPK = "jwe_invalid_epk"
    JWE_KEY_NOT_FOUND = "jwe_key_not_found"
    JWE_DECRYPTION_FAILED = "jwe_decryption_failed"
    JWE_NOT_NESTED = "jwe_not_nested"
    # Selective disclosure (RFC 9901 §4, §7.1, §7.3; SD-JWT VC); the format, header,
    # signature and claim codes above apply to the issuer-signed JWT and the KB-JWT too.
    SD_JWT_MALFORMED = "sd_jwt_malformed"
    DISCLOSURE_MALFORMED = "disclosure_malformed"
    DISCLOSURE_RESERVED_NAME = "disclosure_reserved_name"
    DISCLOSURE_WRONG_KIND = "disclosure_wrong_kind"
    DISCLOSURE_NAME_CLASH = "disclosure_name_clash"
    DUPLICATE_DISCLOSURE = "duplicate_disclosure"
    DUPLICATE_DIGEST = "duplicate_digest"
    UNREFERENCED_DISCLOSURE = "unreferenced_disclosure"
    INVALID_SD_CLAIM = "invalid_sd_claim"
    UNSUPPORTED_SD_ALG = "unsupported_sd_alg"
    INVALID_VCT = "invalid_vct"
    KB_JWT_MISSING = "kb_jwt_missing"
    HOLDER_KEY_MISSING = "holder_key_missing"
    HOLDER_KEY_INVALID = "holder_key_invalid"
    KB_BAD_SIGNATURE = "kb_bad_signature"
    SD_HASH_MISMATCH = "sd_hash_mismatch"
    #: Only a :class:`TokenError` raised without a code (the library always names one).
    TOKEN_REJECTED = "token_rejected"  # noqa: S105


class TokenError(EidError):
    """A token is not acceptable; ``code`` names the rule it failed (a :class:`TokenFailure`).

    :raises ValueError: when constructed with a code that is not a :class:`TokenFailure`
        (keeps the published enumeration complete: the property tests catch any stray code).
    """

    default_code = TokenFailure.TOKEN_REJECTED

    def __init__(self, message: str, *, code: TokenFailure | str | None = None) -> None:
        failure = TokenFailure(code or self.default_code)
        super().__init__(message, code=failure)
        self.code: TokenFailure = failure


class KeySourceError(EidError):
    """A key set is malformed or could not be fetched."""

    default_code = "key_source_error"


class DataError(EidError):
    """A data file (identities, clients, scopes, forms, procedures) failed validation.

    Not a :class:`PopulationError`: most data files are not citizen data.
    """

    default_code = "invalid_data"

    def __init__(
        self, message: str, *, source: str, field: str | None = None, code: str | None = None
    ) -> None:
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message, code=code)
        self.source = source
        self.field = field


class DataFileMissing(DataError):
    """A data file (or folder) is missing or cannot be read: a wrong path, or a broken install.

    Apart from :class:`DataError` because the fix differs: the file is not malformed,
    it is not there (``eid`` exits 4 for it, 3 for malformed data).
    """

    default_code = "data_file_missing"


class PopulationError(EidError):
    """Citizen data is invalid or missing."""

    default_code = "population_error"


class IdNumberError(PopulationError):
    """A personal identification number (or old CMND) is malformed."""

    default_code = "invalid_id_number"


class DocumentError(PopulationError):
    """An identity document payload (MRZ, QR) is malformed; ``field`` names the part."""

    default_code = "invalid_document"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFoundError(PopulationError):
    """No citizen (or other record) matches the request."""

    default_code = "not_found"


class StorageError(EidError):
    """A storage backend failed."""

    default_code = "storage_error"


class AuditError(EidError):
    """The data-access log: an entry, proof request, proof or checkpoint is not acceptable
    (``invalid_entry``, ``invalid_tree_size``, ``invalid_proof``, ``invalid_checkpoint``,
    ``bad_signature``...)."""

    default_code = "audit_error"


class LoginError(EidError):
    """A relying party could not complete a login (state, issuer, transport...).

    Errors the provider itself returned come through as :class:`OAuthError`
    subclasses with their OAuth code instead.
    """

    default_code = "login_failed"


class OAuthError(EidError):
    """An OAuth 2.0 / OIDC protocol error; ``code`` is the OAuth ``error`` value.

    ``status`` is the HTTP status for direct responses; ``redirectable`` says
    whether the error may go back to the client's redirect URI (never when the
    client or the redirect URI itself is in doubt, RFC 6749 §4.1.2.1).
    """

    # The base is never raised bare: a provider's unknown error code arrives as
    # ``OAuthError(description, code=...)``; every standard code has its class.
    default_code = "oauth_error"
    status = 400
    redirectable = True

    def __init__(self, description: str = "", *, code: str | None = None) -> None:
        super().__init__(description or (code or self.default_code), code=code)
        self.description = description


class InvalidRequest(OAuthError):
    default_code = "invalid_request"


class InvalidClient(OAuthError):
    default_code = "invalid_client"
    status = 401
    redirectable = False


class InvalidRedirectUri(OAuthError):
    """Unknown client or unregistered redirect URI: shown on an error page, never redirected.

    Its own code (the name RFC 7591 §3.2.2 gives the condition) so a log or a
    test tells it apart from a malformed request. At the registration endpoint
    it is that RFC's error proper: a registered redirect URI is invalid (JSON, 400).
    """

    default_code = "invalid_redirect_uri"
    redirectable = False


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: a registered metadata value (other than a redirect URI) is invalid."""

    default_code = "invalid_client_metadata"
    redirectable = False


class InvalidGrant(OAuthError):
    default_code = "invalid_grant"


class UnauthorizedClient(OAuthError):
    default_code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    default_code = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    default_code = "unsupported_response_type"


class UnsupportedTokenType(OAuthError):
    default_code = "unsupported_token_type"  # RFC 7009 §2.2.1


class InvalidScope(OAuthError):
    default_code = "invalid_scope"


class AccessDenied(OAuthError):
    default_code = "access_denied"
    status = 403


class ServerError(OAuthError):
    default_code = "server_error"
    status = 500


class TemporarilyUnavailable(OAuthError):
    default_code = "temporarily_unavailable"
    status = 503


class LoginRequired(OAuthError):
    default_code = "login_required"


class ConsentRequired(OAuthError):
    default_code = "consent_required"


class InteractionRequired(OAuthError):
    default_code = "interaction_required"


class UnmetAuthenticationRequirements(OAuthError):
    """The account cannot reach the requested assurance level (``acr_values``).

    OpenID Connect Core Unmet Authentication Requirements 1.0 §2: lets a portal
    tell "your account is below level 2" apart from a refused consent.
    """

    default_code = "unmet_authentication_requirements"


class RequestNotSupported(OAuthError):
    default_code = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    default_code = "request_uri_not_supported"


class InvalidRequestUri(OAuthError):
    """OIDC Core §6.2 / RFC 9101 §7: the ``request_uri`` names no usable request
    (unknown, expired, used, or pushed by another client: RFC 9126 §4, §7.3).

    Never redirected: the redirect URI lives in the request it failed to name.
    """

    default_code = "invalid_request_uri"
    redirectable = False


class InvalidAuthorizationDetails(OAuthError):
    """RFC 9396 §5: ``authorization_details`` of an unknown type, or of a known type with
    unknown, missing, mistyped or invalid members (for ``vn_procedure``: a procedure the
    client is not registered for, attributes beyond its scopes)."""

    default_code = "invalid_authorization_details"


class RateLimited(OAuthError):
    """RFC 6585 §4: the client sent more requests than its window allows (HTTP 429);
    used where no OAuth code applies (``POST /api/match``)."""

    default_code = "rate_limited"
    status = 429
    redirectable = False


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is missing, expired, revoked or malformed."""

    default_code = "invalid_token"
    status = 401
    redirectable = False


class InvalidDpopProof(OAuthError):
    """RFC 9449 §5 (token endpoint, HTTP 400) and §7.1 (resource, HTTP 401 with
    ``WWW-Authenticate: DPoP``): the DPoP proof is missing, malformed or fails a check."""

    default_code = "invalid_dpop_proof"
    redirectable = False


class UseDpopNonce(OAuthError):
    """RFC 9449 §8 (token endpoint), §9 (resource): send a proof with the nonce in the
    ``DPoP-Nonce`` header of this response."""

    default_code = "use_dpop_nonce"
    redirectable = False


class InsufficientScope(OAuthError):
    default_code = "insufficient_scope"
    status = 403
    redirectable = False


# OpenID4VCI 1.0 §8.3.1.2: the Credential Endpoint's request errors, HTTP 400, never
# redirected (the endpoint is called by the portal's server, not through a browser).
class InvalidCredentialRequest(OAuthError):
    """The Credential Request is missing a parameter, repeats one, or is malformed."""

    default_code = "invalid_credential_request"
    redirectable = False


class UnknownCredentialConfiguration(OAuthError):
    """``credential_configuration_id`` names no configuration of the issuer's metadata."""

    default_code = "unknown_credential_configuration"
    redirectable = False


class InvalidProof(OAuthError):
    """``proofs`` is missing, or a key proof is invalid or lacks ``c_nonce``."""

    default_code = "invalid_proof"
    redirectable = False


class InvalidNonce(OAuthError):
    """A key proof's ``nonce`` is not a fresh ``c_nonce``: fetch a new one (§7)."""

    default_code = "invalid_nonce"
    redirectable = False


class InvalidEncryptionParameters(OAuthError):
    """Credential Response encryption was asked for; this issuer offers none."""

    default_code = "invalid_encryption_parameters"
    redirectable = False


class CredentialRequestDenied(OAuthError):
    """The issuer will not issue this credential (unrecoverable for this request)."""

    default_code = "credential_request_denied"
    redirectable = False


#: Error classes by OAuth ``error`` code, for turning a provider's answer into an exception.
OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    cls.default_code: cls
    for cls in (
        InvalidRequest, InvalidClient, InvalidGrant, UnauthorizedClient, UnsupportedGrantType,
        UnsupportedResponseType, UnsupportedTokenType, InvalidScope, AccessDenied, ServerError,
        TemporarilyUnavailable, LoginRequired, ConsentRequired, InteractionRequired,
        RequestNotSupported, RequestUriNotSupported, InvalidRequestUri, InvalidToken,
        InvalidAuthorizationDetails, RateLimited,
        InsufficientScope, UnmetAuthenticationRequirements, InvalidDpopProof, UseDpopNonce,
        InvalidCredentialRequest, UnknownCredentialConfiguration, InvalidProof, InvalidNonce,
        InvalidEncryptionParameters, CredentialRequestDenied,
    )
}
