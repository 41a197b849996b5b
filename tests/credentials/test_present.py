"""``present``: only the chosen Disclosures, and a KB-JWT over exactly them (RFC 9901 §4.3)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from freezegun import freeze_time

from eid.credentials import present
from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey
from eid.verify import decode_disclosure, split_sd_jwt, verify_sd_jwt
from eid.verify._codec import b64url_decode

from .conftest import ISSUER, NONCE, NOW, OFFICE, PORTAL, Issue

ALWAYS = {"iss", "iat", "exp", "vct", "cnf", "client_id"}


def _verify(presentation: str, jwks: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"issuer": ISSUER, "jwks": jwks, "audience": OFFICE, "nonce": NONCE,
                            "now": NOW + 5, "max_age": 300}
    args.update(overrides)
    return verify_sd_jwt(presentation, **args)


@pytest.mark.parametrize("chosen", [[], ["name"], ["name", "birthdate", "vn_id_number"],
                                    ["vn_household_members"], ["address", "vn_children"]])
def test_the_verifier_sees_exactly_the_chosen_claims(
        chosen: list[str], issue: Issue, holder_key: SigningKey, issuer_jwks: dict[str, Any],
        citizen_claims: dict[str, Any]) -> None:
    presentation = present(issue(), disclose=chosen, holder_key=holder_key, audience=OFFICE,
                           nonce=NONCE, iat=NOW)
    claims = _verify(presentation, issuer_jwks)
    assert set(claims) == ALWAYS | set(chosen)
    assert {k: claims[k] for k in chosen} == {k: citizen_claims[k] for k in chosen}
    assert claims["client_id"] == PORTAL


def test_a_list_brings_all_its_elements(issue: Issue, holder_key: SigningKey,
                                        citizen_claims: dict[str, Any]) -> None:
    presentation = present(issue(), disclose=["vn_household_members"], holder_key=holder_key,
                           audience=OFFICE, nonce=NONCE, iat=NOW)
    decoded = [decode_disclosure(d) for d in split_sd_jwt(presentation).disclosures]
    assert [d.name for d in decoded].count(None) == len(citizen_claims["vn_household_members"])
    assert [d.name for d in decoded if d.name] == ["vn_household_members"]


def test_the_kb_jwt_names_the_verifier_and_nonce(issue: Issue, holder_key: SigningKey,
                                                 issuer_jwks: dict[str, Any]) -> None:
    presentation = present(issue(), disclose=["name"], holder_key=holder_key, audience=OFFICE,
                           nonce=NONCE, iat=NOW)
    with pytest.raises(TokenError) as caught:
        _verify(presentation, issuer_jwks, audience="https://another.office.eid.test")
    assert caught.value.code == "invalid_audience"
    with pytest.raises(TokenError) as caught:
        _verify(presentation, issuer_jwks, nonce="another-nonce")
    assert caught.value.code == "nonce_mismatch"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"disclose": ["no_such_claim"]}, "claim_not_in_credential"),
    ({"disclose": ["client_id"]}, "claim_not_in_credential"),  # always visible, not disclosable
    ({"disclose": ["iss"]}, "claim_not_in_credential"),
    ({"disclose": [7]}, "claim_not_in_credential"),
    ({"disclose": "name"}, "invalid_argument"),
    ({"audience": ""}, "invalid_argument"),
    ({"nonce": None}, "invalid_argument"),
    ({"iat": "now"}, "invalid_argument"),
])
def test_refused_requests(kwargs: dict[str, Any], code: str, issue: Issue,
                          holder_key: SigningKey) -> None:
    args: dict[str, Any] = {"disclose": ["name"], "holder_key": holder_key, "audience": OFFICE,
                            "nonce": NONCE, "iat": NOW}
    args.update(kwargs)
    with pytest.raises(ConfigurationError) as caught:
        present(issue(), **args)
    assert caught.value.code == code


def test_another_key_than_the_bound_one_is_refused(issue: Issue,
                                                   signing_keys: dict[str, SigningKey]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        present(issue(), disclose=["name"], holder_key=signing_keys["ec-p256"], audience=OFFICE,
                nonce=NONCE)
    assert caught.value.code == "holder_key_mismatch"


def test_a_presentation_is_not_presented_again(issue: Issue, holder_key: SigningKey) -> None:
    once = present(issue(), disclose=["name"], holder_key=holder_key, audience=OFFICE,
                   nonce=NONCE, iat=NOW)
    with pytest.raises(ConfigurationError) as caught:
        present(once, disclose=["name"], holder_key=holder_key, audience=OFFICE, nonce=NONCE)
    assert caught.value.code == "invalid_argument"


def test_a_malformed_credential_is_a_token_error(holder_key: SigningKey) -> None:
    with pytest.raises(TokenError) as caught:
        present("not an sd-jwt", disclose=[], holder_key=holder_key, audience=OFFICE,
                nonce=NONCE)
    assert caught.value.code == "sd_jwt_malformed"


def test_iat_defaults_to_the_clock(issue: Issue, holder_key: SigningKey) -> None:
    with freeze_time(datetime.datetime.fromtimestamp(NOW + 42, datetime.UTC)):
        presentation = present(issue(), disclose=["name"], holder_key=holder_key,
                               audience=OFFICE, nonce=NONCE)
    kb_payload = presentation.rsplit("~", 1)[1].split(".")[1]
    assert json.loads(b64url_decode(kb_payload, "kb"))["iat"] == NOW + 42


def test_a_credential_with_a_stray_disclosure_is_refused(issue: Issue,
                                                          holder_key: SigningKey) -> None:
    stray = split_sd_jwt(issue({"email": "a@b.vn"})).disclosures[0]
    with pytest.raises(TokenError) as caught:
        present(issue() + stray + "~", disclose=["name"], holder_key=holder_key,
                audience=OFFICE, nonce=NONCE)
    assert caught.value.code == "unreferenced_disclosure"


def test_the_readme_flow(issue: Issue, holder_key: SigningKey, issuer_jwks: dict[str, Any],
                         citizen_claims: dict[str, Any]) -> None:
    # README "Selectively disclosed credentials": issue, present three fields, verify.
    presentation = present(issue(), disclose=["name", "birthdate", "vn_household_members"],
                           holder_key=holder_key, audience=OFFICE, nonce=NONCE, iat=NOW)
    claims = verify_sd_jwt(presentation, issuer=ISSUER, jwks=issuer_jwks, audience=OFFICE,
                           nonce=NONCE, vct="urn:eid:vn:citizen-data:1", now=NOW)
    assert claims["name"] == citizen_claims["name"]
    assert claims["client_id"] == PORTAL
    assert "vn_id_number" not in claims
