"""Identity-token and credential verification: strict, fast, and explicit about every rule.

>>> from eid.verify import verify_id_token, TokenError
>>> claims = verify_id_token(token, issuer=ISSUER, audience=CLIENT_ID, jwks=keys,
...                          nonce=nonce, min_acr="LoA2")  # doctest: +SKIP
"""

from __future__ import annotations

from eid.errors import ConfigurationError, EidError, KeySourceError, TokenError
from eid.verify.algorithms import ALGORITHMS, Algorithm
from eid.verify.assurance import ACR_LEVELS, Acr, acr_rank, acr_satisfies
from eid.verify.claims import IdTokenClaims, check_id_token_claims, token_hash
from eid.verify.disclosures import (
    Disclosure,
    decode_disclosure,
    disclosure_digest,
    resolve_disclosures,
)
from eid.verify.idtoken import MAX_LEEWAY, verify_id_token
from eid.verify.jwe import (
    DEFAULT_ALG_VALUES,
    DEFAULT_ENC_VALUES,
    DEFAULT_MAX_JWE_SIZE,
    SUPPORTED_ALG_VALUES,
    SUPPORTED_ENC_VALUES,
    DecryptedJwe,
    decrypt_jwe,
)
from eid.verify.jwe_keys import DecryptionKey, DecryptionKeys
from eid.verify.jws import DEFAULT_MAX_SIZE, Jwks, ParsedJws, parse_jws, verify_jws
from eid.verify.keys import KeySet, PublicKey
from eid.verify.keysource import KeySource
from eid.verify.logout import (
    BACKCHANNEL_LOGOUT_EVENT,
    LOGOUT_TOKEN_MAX_AGE,
    logout_jti_retention,
    verify_logout_token,
)
from eid.verify.nested import decrypt_nested_jwt, verify_encrypted_id_token
from eid.verify.remote import FetchResult, RemoteKeySource
from eid.verify.sd_jwt import (
    CREDENTIAL_TYPE,
    DEFAULT_MAX_SD_JWT_SIZE,
    KB_JWT_TYPE,
    SplitSdJwt,
    sd_hash,
    split_sd_jwt,
    verify_key_binding,
    verify_sd_jwt,
    verify_sd_jwt_signature,
)
from eid.verify.userinfo import verify_userinfo_jwt

__all__ = [
    "ACR_LEVELS",
    "ALGORITHMS",
    "BACKCHANNEL_LOGOUT_EVENT",
    "CREDENTIAL_TYPE",
    "DEFAULT_ALG_VALUES",
    "DEFAULT_ENC_VALUES",
    "DEFAULT_MAX_JWE_SIZE",
    "DEFAULT_MAX_SD_JWT_SIZE",
    "DEFAULT_MAX_SIZE",
    "KB_JWT_TYPE",
    "LOGOUT_TOKEN_MAX_AGE",
    "MAX_LEEWAY",
    "SUPPORTED_ALG_VALUES",
    "SUPPORTED_ENC_VALUES",
    "Acr",
    "Algorithm",
    "ConfigurationError",
    "DecryptedJwe",
    "DecryptionKey",
    "DecryptionKeys",
    "Disclosure",
    "EidError",
    "FetchResult",
    "IdTokenClaims",
    "Jwks",
    "KeySet",
    "KeySource",
    "KeySourceError",
    "ParsedJws",
    "PublicKey",
    "RemoteKeySource",
    "SplitSdJwt",
    "TokenError",
    "acr_rank",
    "acr_satisfies",
    "check_id_token_claims",
    "decode_disclosure",
    "decrypt_jwe",
    "decrypt_nested_jwt",
    "disclosure_digest",
    "logout_jti_retention",
    "parse_jws",
    "resolve_disclosures",
    "sd_hash",
    "split_sd_jwt",
    "token_hash",
    "verify_encrypted_id_token",
    "verify_id_token",
    "verify_jws",
    "verify_key_binding",
    "verify_logout_token",
    "verify_sd_jwt",
    "verify_sd_jwt_signature",
    "verify_userinfo_jwt",
]
