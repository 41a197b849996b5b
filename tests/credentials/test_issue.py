"""``issue_sd_jwt``: the credential's shape (RFC 9901 §4, SD-JWT VC §3) and its guards."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from eid.credentials import CITIZEN_DATA_VCT, issue_sd_jwt
from eid.errors import ConfigurationError
from eid.signing import SigningKey
from eid.verify import decode_disclosure, split_sd_jwt, verify_sd_jwt

from .conftest import ISSUER, NOW, PORTAL, Issue


def _segment(segment: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _header_and_payload(sd_jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = split_sd_jwt(sd_jwt).jwt.split(".")
    return _segment(head), _segment(body)


def test_all_disclosures_give_back_every_claim(issue: Issue, issuer_jwks: dict[str, Any],
                                               citizen_claims: dict[str, Any],
                                               holder_key: SigningKey) -> None:
    claims = verify_sd_jwt(issue(), issuer=ISSUER, jwks=issuer_jwks, now=NOW)
    assert claims == {"iss": ISSUER, "iat": NOW - 60, "exp": NOW + 3600,
                      "vct": CITIZEN_DATA_VCT, "cnf": {"jwk": holder_key.public_jwk},
                      "client_id": PORTAL, **citizen_claims}


def test_header_is_typed_and_names_the_key(issue: Issue, issuer_key: SigningKey) -> None:
    header, _ = _header_and_payload(issue())
    assert header == {"alg": "ES256", "kid": issuer_key.kid, "typ": "dc+sd-jwt"}


def test_only_iss_times_vct_cnf_and_plain_claims_are_visible(issue: Issue) -> None:
    _, payload = _header_and_payload(issue())
    assert set(payload) == {"iss", "iat", "exp", "vct", "cnf", "client_id", "_sd", "_sd_alg"}
    assert payload["_sd_alg"] == "sha-256"


def test_each_claim_and_each_list_element_is_its_own_disclosure(
        issue: Issue, citizen_claims: dict[str, Any]) -> None:
    decoded = [decode_disclosure(d) for d in split_sd_jwt(issue()).disclosures]
    names = [d.name for d in decoded if d.name is not None]
    assert sorted(names) == sorted(citizen_claims)
    elements = [d.value for d in decoded if d.name is None]
    lists = [v for v in citizen_claims.values() if isinstance(v, list)]
    assert sorted(map(json.dumps, elements)) == sorted(json.dumps(e) for v in lists for e in v)


def test_decoys_pad_the_digest_count_to_a_bucket(issue: Issue) -> None:
    few = _header_and_payload(issue({"name": "A"}))[1]["_sd"]
    more = _header_and_payload(issue({f"c{i}": i for i in range(9)}))[1]["_sd"]
    assert len(few) == len(more) == 16
    assert few == sorted(few)  # §4.2.4.1: order hides the claims' order


def test_decoys_pad_a_list_too(issue: Issue) -> None:
    parts = split_sd_jwt(issue({"kids": ["a", "b", "c"]}))
    listed = next(d for d in map(decode_disclosure, parts.disclosures) if d.name == "kids")
    assert len(listed.value) == 8
    assert all(set(e) == {"..."} for e in listed.value)


def test_without_decoys_the_counts_are_exact(issue: Issue) -> None:
    sd_jwt = issue({"name": "A", "kids": ["a", "b"]}, decoys=False)
    assert len(_header_and_payload(sd_jwt)[1]["_sd"]) == 2
    listed = next(d for d in map(decode_disclosure, split_sd_jwt(sd_jwt).disclosures)
                  if d.name == "kids")
    assert len(listed.value) == 2


def test_two_issuances_share_no_salt(issue: Issue) -> None:
    salts = [decode_disclosure(d).salt for _ in range(2)
             for d in split_sd_jwt(issue({"name": "A"})).disclosures]
    assert len(set(salts)) == 2


def test_status_is_visible(issue: Issue, issuer_jwks: dict[str, Any]) -> None:
    status = {"status_list": {"idx": 7, "uri": "https://login.eid.test/status/1"}}
    claims = verify_sd_jwt(issue({"name": "A"}, status=status), issuer=ISSUER,
                           jwks=issuer_jwks, now=NOW)
    assert claims["status"] == status


@pytest.mark.parametrize(("overrides", "code"), [
    ({"claims": {"iss": "x"}}, "reserved_claim"),
    ({"claims": {"cnf": {}}}, "reserved_claim"),
    ({"claims": {"_sd": []}}, "reserved_claim"),
    ({"plain": {"vct": "x"}}, "reserved_claim"),
    ({"plain": {"name": "A"}}, "invalid_argument"),  # both disclosable and plain
    ({"claims": {"": 1}}, "invalid_argument"),
    ({"claims": {"name": float("nan")}}, "invalid_argument"),
    ({"claims": {"name": object()}}, "invalid_argument"),
    ({"claims": {"name": "\ud800"}}, "invalid_argument"),
    ({"plain": {"client_id": object()}}, "invalid_argument"),
    ({"issuer": ""}, "invalid_argument"),
    ({"vct": ""}, "invalid_argument"),
    ({"iat": NOW, "exp": NOW}, "invalid_argument"),
    ({"iat": float(NOW)}, "invalid_argument"),
    ({"exp": True}, "invalid_argument"),
    ({"status": ["x"]}, "invalid_argument"),
    ({"key": "ec-p256"}, "invalid_argument"),
    ({"holder_jwk": {"kty": "EC"}}, "invalid_holder_key"),
    ({"holder_jwk": "not a key"}, "invalid_holder_key"),
    ({"holder_jwk": {"kty": "oct", "k": "c2VjcmV0"}}, "invalid_holder_key"),
])
def test_refused_arguments(overrides: dict[str, Any], code: str, issuer_key: SigningKey,
                           holder_key: SigningKey) -> None:
    args: dict[str, Any] = {"claims": {"name": "A"}, "key": issuer_key, "issuer": ISSUER,
                            "vct": CITIZEN_DATA_VCT, "holder_jwk": holder_key.public_jwk,
                            "iat": NOW, "exp": NOW + 60, "plain": {"client_id": PORTAL}}
    args.update(overrides)
    with pytest.raises(ConfigurationError) as caught:
        issue_sd_jwt(args.pop("claims"), **args)
    assert caught.value.code == code


def test_a_private_holder_key_is_refused(issuer_key: SigningKey, holder_key: SigningKey) -> None:
    private = {**holder_key.public_jwk, "d": "AAAA"}
    with pytest.raises(ConfigurationError) as caught:
        issue_sd_jwt({"name": "A"}, key=issuer_key, issuer=ISSUER, vct=CITIZEN_DATA_VCT,
                     holder_jwk=private, iat=NOW, exp=NOW + 60)
    assert caught.value.code == "invalid_holder_key"


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("value", [
    {"_sd": ["x"]},            # would be read as digests
    {"a": {"_sd_alg": "x"}},   # refused below the top level
    [[{"...": "digest"}]],     # an inner array element would vanish
    _nested(80),               # deeper than the verifier's bound
], ids=["sd_member", "nested_sd_alg", "dots_element", "too_deep"])
def test_claims_a_verifier_would_refuse_or_misread_are_not_issued(
        value: Any, issue: Issue) -> None:
    with pytest.raises(ConfigurationError) as caught:
        issue({"x": value})
    assert caught.value.code == "unrepresentable_claims"


def test_tuples_issue_as_lists(issue: Issue, issuer_jwks: dict[str, Any]) -> None:
    claims = verify_sd_jwt(issue({"kids": ("a", "b")}), issuer=ISSUER, jwks=issuer_jwks, now=NOW)
    assert claims["kids"] == ["a", "b"]


@pytest.mark.parametrize("overrides", [
    {"plain": {"client_id": {"_sd": ["x"]}}},
    {"status": {"status_list": {"_sd_alg": "x"}}},
    {"claims": {"big": "x" * 70_000}},
    {"claims": {"many": list(range(600))}},
], ids=["plain_with_sd", "status_with_sd_alg", "over_64_kib", "over_512_disclosures"])
def test_visible_claims_and_sizes_a_verifier_would_refuse_are_not_issued(
        overrides: dict[str, Any], issue: Issue) -> None:
    with pytest.raises(ConfigurationError) as caught:
        issue(overrides.pop("claims", {"name": "A"}), **overrides)
    assert caught.value.code == "unrepresentable_claims"
