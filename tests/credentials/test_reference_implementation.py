"""Interoperability with a second implementation: sd-jwt (openwallet-foundation-labs), the
library that generated RFC 9901's examples. It accepts what eid issues and presents, its
holder can present an eid credential, and eid verifies what it issues."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from eid.credentials import CITIZEN_DATA_VCT, present
from eid.signing import SigningKey
from eid.verify import verify_sd_jwt

from .conftest import ISSUER, NONCE, NOW, OFFICE, ROOT, Issue

CHOSEN = ["name", "birthdate", "address", "vn_household_members"]


def _private_jwk(kid: str) -> JWK:
    keys = json.loads((Path(ROOT) / "fixtures" / "keys" / "test-signing-keys.json")
                      .read_text(encoding="utf-8"))["keys"]
    return JWK(**next(k for k in keys if k["kid"] == kid))


def _at(seconds: int) -> Any:
    return freeze_time(datetime.datetime.fromtimestamp(seconds, datetime.UTC))


@pytest.fixture
def issuer_public(issuer_key: SigningKey) -> JWK:
    return JWK(**issuer_key.public_jwk)


def test_it_verifies_an_eid_presentation(issue: Issue, holder_key: SigningKey,
                                         issuer_public: JWK, issuer_jwks: dict[str, Any]) -> None:
    presentation = present(issue(), disclose=CHOSEN, holder_key=holder_key, audience=OFFICE,
                           nonce=NONCE, iat=NOW)
    theirs = SDJWTVerifier(presentation, lambda iss, header: issuer_public,
                           expected_aud=OFFICE, expected_nonce=NONCE).get_verified_payload()
    ours = verify_sd_jwt(presentation, issuer=ISSUER, jwks=issuer_jwks, audience=OFFICE,
                         nonce=NONCE, now=NOW)
    assert theirs == ours
    assert set(CHOSEN) <= set(theirs)


def test_its_holder_presents_an_eid_credential(issue: Issue, issuer_jwks: dict[str, Any],
                                               citizen_claims: dict[str, Any]) -> None:
    holder = SDJWTHolder(issue())
    # Every position of the (decoy-padded) household list, the decoys skipped by it.
    with _at(NOW):
        holder.create_presentation({"name": True, "vn_household_members": [True] * 16},
                                   nonce=NONCE, aud=OFFICE, holder_key=_private_jwk("ec-p256-b"))
    claims = verify_sd_jwt(holder.sd_jwt_presentation, issuer=ISSUER, jwks=issuer_jwks,
                           audience=OFFICE, nonce=NONCE, max_age=60, now=NOW)
    assert claims["name"] == citizen_claims["name"]
    assert claims["vn_household_members"] == citizen_claims["vn_household_members"]
    assert "birthdate" not in claims


def test_eid_verifies_what_it_issues(holder_key: SigningKey, issuer_jwks: dict[str, Any],
                                     citizen_claims: dict[str, Any]) -> None:
    user_claims: dict[Any, Any] = {"iss": ISSUER, "iat": NOW, "exp": NOW + 600,
                                   "vct": CITIZEN_DATA_VCT}
    for name in CHOSEN:
        value = citizen_claims[name]
        if isinstance(value, list):
            value = [SDObj(v) for v in value]
        user_claims[SDObj(name)] = value
    issued = SDJWTIssuer(user_claims, _private_jwk("ec-p256"), holder_key=JWK(
        **holder_key.public_jwk), add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": "ec-p256"}).sd_jwt_issuance
    presentation = present(issued, disclose=["name", "vn_household_members"],
                           holder_key=holder_key, audience=OFFICE, nonce=NONCE, iat=NOW)
    claims = verify_sd_jwt(presentation, issuer=ISSUER, jwks=issuer_jwks, audience=OFFICE,
                           nonce=NONCE, now=NOW, vct=CITIZEN_DATA_VCT)
    assert claims["vn_household_members"] == citizen_claims["vn_household_members"]
    assert "address" not in claims
