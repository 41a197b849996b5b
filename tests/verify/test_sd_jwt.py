"""``verify_sd_jwt``: one mutation of a valid SD-JWT+KB, one code (RFC 9901 §7.1, §7.3).

Each case starts from the same valid presentation, changes one thing and rebuilds it
(re-signing the issuer JWT and recomputing ``sd_hash`` unless the mutation is about
them), so the only rule a case can break is the one it names.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey
from eid.verify import disclosure_digest, sd_hash, verify_sd_jwt
from eid.verify._codec import b64url_encode

ISSUER = "https://login.eid.test"
OFFICE = "https://office.thu-dau-mot.eid.test"
NONCE = "office-nonce-4f1c"
VCT = "urn:eid:vn:citizen-data:1"
NOW = 1_764_000_000
AUTO = "(computed)"


def disclosure(*content: Any) -> str:
    return b64url_encode(json.dumps(list(content), ensure_ascii=False).encode("utf-8"))


def raw_disclosure(text: str) -> str:
    return b64url_encode(text.encode("utf-8"))


def digest(encoded: str) -> str:
    return disclosure_digest(encoded)


NAME = disclosure("salt-name-00000001", "name", "Trần Thị Hoà")
BIRTH = disclosure("salt-birth-0000002", "birthdate", "1981-11-02")
HEAD = disclosure("salt-member-000003", {"name": "Nguyễn Văn Hùng", "vn_relationship": "head"})
SELF = disclosure("salt-member-000004", {"name": "Trần Thị Hoà", "vn_relationship": "spouse"})
DECOY_1 = b64url_encode(b"d" * 32)
DECOY_2 = b64url_encode(b"e" * 32)
MEMBERS = disclosure("salt-members-00005", "vn_household_members",
                     [{"...": digest(HEAD)}, {"...": DECOY_1}, {"...": digest(SELF)}])
EXPECTED_MEMBERS = [{"name": "Nguyễn Văn Hùng", "vn_relationship": "head"},
                    {"name": "Trần Thị Hoà", "vn_relationship": "spouse"}]


@dataclass
class Parts:
    """A presentation before it is serialized: every piece a case may change."""

    header: dict[str, Any]
    payload: dict[str, Any]
    disclosures: list[str]
    kb_header: dict[str, Any] | None
    kb_claims: dict[str, Any] | None
    issuer_kid: str = "ec-p256"
    holder_kid: str = "ec-p256-b"
    #: Applied to the serialized string last (format cases).
    finish: Callable[[str], Any] = field(default=lambda s: s)


@pytest.fixture
def parts(signing_keys: dict[str, SigningKey]) -> Parts:
    return Parts(
        header={"alg": "ES256", "kid": "ec-p256", "typ": "dc+sd-jwt"},
        payload={
            "iss": ISSUER, "iat": NOW - 60, "exp": NOW + 3600, "vct": VCT,
            "cnf": {"jwk": dict(signing_keys["ec-p256-b"].public_jwk)},
            "client_id": "portal-binh-duong",
            "_sd": sorted([digest(NAME), digest(BIRTH), digest(MEMBERS), DECOY_2]),
            "_sd_alg": "sha-256",
        },
        disclosures=[NAME, BIRTH, HEAD, SELF, MEMBERS],
        kb_header={"alg": "ES256", "typ": "kb+jwt"},
        kb_claims={"iat": NOW, "aud": OFFICE, "nonce": NONCE, "sd_hash": AUTO},
    )


@pytest.fixture
def build(mint_raw: Callable[..., str]) -> Callable[[Parts], Any]:
    def _build(p: Parts) -> Any:
        jwt = mint_raw(p.header, p.payload, kid=p.issuer_kid)
        presented = "~".join([jwt, *p.disclosures, ""])
        if p.kb_claims is None or p.kb_header is None:
            return p.finish(presented)
        claims = dict(p.kb_claims)
        if claims.get("sd_hash") == AUTO:
            claims["sd_hash"] = sd_hash(presented)
        return p.finish(presented + mint_raw(p.kb_header, claims, kid=p.holder_kid))

    return _build


def verify(token: Any, jwks: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"issuer": ISSUER, "jwks": jwks, "audience": OFFICE, "nonce": NONCE,
                            "now": NOW + 5, "max_age": 300}
    args.update(overrides)
    return verify_sd_jwt(token, **args)


def test_the_unmutated_presentation_verifies(parts: Parts, build: Any,
                                             jwks: dict[str, Any]) -> None:
    claims = verify(build(parts), jwks)
    assert claims == {
        "iss": ISSUER, "iat": NOW - 60, "exp": NOW + 3600, "vct": VCT,
        "cnf": parts.payload["cnf"], "client_id": "portal-binh-duong",
        "name": "Trần Thị Hoà", "birthdate": "1981-11-02",
        "vn_household_members": EXPECTED_MEMBERS,
    }


def _set(target: str, key: str, value: Any) -> Callable[[Parts], None]:
    def apply(p: Parts) -> None:
        getattr(p, target)[key] = value
    return apply


def _drop(target: str, key: str) -> Callable[[Parts], None]:
    def apply(p: Parts) -> None:
        del getattr(p, target)[key]
    return apply


def _add_disclosure(encoded: str, *, referenced: bool = True,
                    where: str = "_sd") -> Callable[[Parts], None]:
    def apply(p: Parts) -> None:
        p.disclosures.append(encoded)
        if referenced and where == "_sd":
            p.payload["_sd"] = sorted([*p.payload["_sd"], digest(encoded)])
        elif referenced:
            p.payload["nationalities"] = [{"...": digest(encoded)}]
    return apply


def _finish(fn: Callable[[str], Any]) -> Callable[[Parts], None]:
    def apply(p: Parts) -> None:
        p.finish = fn
    return apply


def _other(p: Parts, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(p, name, value)


def _kb_signed_by(signer: str, **header: str) -> Callable[[Parts], None]:
    def apply(p: Parts) -> None:
        p.holder_kid = signer
        assert p.kb_header is not None
        p.kb_header.update(header)
    return apply


def _nest(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


MUTATIONS: dict[str, tuple[Callable[[Parts], None], str]] = {
    # The serialized form (§4)
    "bare_jwt_without_tilde": (_finish(lambda s: s.split("~")[0]), "sd_jwt_malformed"),
    "empty_disclosure": (_finish(lambda s: s.replace("~", "~~", 1)), "sd_jwt_malformed"),
    "no_jwt": (_finish(lambda s: s[s.index("~"):]), "sd_jwt_malformed"),
    "space_inside": (_finish(lambda s: s.replace("~", " ~", 1)), "sd_jwt_malformed"),
    "non_ascii_bytes": (_finish(lambda s: s.encode() + b"\xff"), "sd_jwt_malformed"),
    "not_a_string": (_finish(lambda s: 42), "not_a_string"),
    "over_64_kib": (_finish(lambda s: s + "A" * 65536), "too_large"),
    "too_many_disclosures": (
        lambda p: p.disclosures.extend([NAME] * 513), "too_large"),
    # The issuer-signed JWT (§7.1 step 2, RFC 8725)
    "jwt_typ_missing": (_drop("header", "typ"), "wrong_token_type"),
    "jwt_typ_jwt": (_set("header", "typ", "JWT"), "wrong_token_type"),
    "jwt_typ_kb_jwt": (_set("header", "typ", "kb+jwt"), "wrong_token_type"),
    "jwt_typ_old_vc_sd_jwt": (_set("header", "typ", "vc+sd-jwt"), "wrong_token_type"),
    "jwt_alg_none": (_set("header", "alg", "none"), "alg_none"),
    "jwt_alg_hs256": (_set("header", "alg", "HS256"), "unsupported_algorithm"),
    "jwt_crit": (_set("header", "crit", ["x"]), "crit_unsupported"),
    "jwt_unknown_kid": (_set("header", "kid", "gone"), "unknown_kid"),
    "jwt_signed_by_another_key": (lambda p: _other(p, issuer_kid="ec-p256-b"), "bad_signature"),
    "jwt_two_segments": (_finish(lambda s: s.replace(".", "", 1)), "malformed"),
    # Disclosures (§4.2, §7.1 step 3)
    "disclosure_not_base64url": (_add_disclosure("abcde", referenced=False), "bad_base64"),
    "disclosure_not_json": (_add_disclosure(raw_disclosure("[1,"), referenced=False),
                            "bad_json"),
    "disclosure_duplicate_member": (
        _add_disclosure(raw_disclosure('["s","a",{"b":1,"b":2}]')), "bad_json"),
    "disclosure_an_object": (_add_disclosure(raw_disclosure('{"s":1}')),
                             "disclosure_malformed"),
    "disclosure_four_elements": (_add_disclosure(disclosure("s", "a", 1, 2)),
                                 "disclosure_malformed"),
    "disclosure_one_element": (_add_disclosure(disclosure("s")), "disclosure_malformed"),
    "disclosure_salt_a_number": (_add_disclosure(disclosure(1, "a", 1)),
                                 "disclosure_malformed"),
    "disclosure_name_a_number": (_add_disclosure(disclosure("s", 1, 1)),
                                 "disclosure_malformed"),
    "disclosure_named_sd": (_add_disclosure(disclosure("s", "_sd", [])),
                            "disclosure_reserved_name"),
    "disclosure_named_dots": (_add_disclosure(disclosure("s", "...", 1)),
                              "disclosure_reserved_name"),
    "disclosure_presented_twice": (lambda p: p.disclosures.append(NAME), "duplicate_disclosure"),
    "disclosure_unreferenced": (_add_disclosure(disclosure("s", "email", "a@b.vn"),
                                                referenced=False), "unreferenced_disclosure"),
    "array_disclosure_in_sd": (_add_disclosure(disclosure("s", "VNM")),
                               "disclosure_wrong_kind"),
    "object_disclosure_in_array": (_add_disclosure(disclosure("s", "n", "VNM"), where="array"),
                                   "disclosure_wrong_kind"),
    "disclosed_name_clashes_with_plain": (
        _add_disclosure(disclosure("s", "client_id", "other-portal")), "disclosure_name_clash"),
    "disclosed_iss_clashes": (_add_disclosure(disclosure("s", "iss", "https://evil.test")),
                              "disclosure_name_clash"),
    "two_disclosures_one_name": (_add_disclosure(disclosure("s2", "name", "Other")),
                                 "disclosure_name_clash"),
    "digest_twice_in_sd": (lambda p: p.payload["_sd"].append(digest(NAME)), "duplicate_digest"),
    "decoy_twice_in_sd": (lambda p: p.payload["_sd"].append(DECOY_2), "duplicate_digest"),
    "digest_in_sd_and_array": (
        lambda p: p.payload.update(other=[{"...": DECOY_2}]), "duplicate_digest"),
    "digest_in_a_disclosure_and_in_sd": (
        _add_disclosure(disclosure("s", "again", {"_sd": [digest(NAME)]})), "duplicate_digest"),
    "sd_not_an_array": (_set("payload", "_sd", digest(NAME)), "invalid_sd_claim"),
    "sd_holds_a_number": (lambda p: p.payload["_sd"].append(7), "invalid_sd_claim"),
    "dots_with_another_key": (
        _set("payload", "nationalities", [{"...": DECOY_1, "x": 1}]), "invalid_sd_claim"),
    "dots_not_a_string": (_set("payload", "nationalities", [{"...": 1}]), "invalid_sd_claim"),
    "nested_sd_alg": (_set("payload", "address", {"_sd_alg": "sha-256"}), "invalid_sd_claim"),
    "sd_alg_sha_512": (_set("payload", "_sd_alg", "sha-512"), "unsupported_sd_alg"),
    "sd_alg_a_number": (_set("payload", "_sd_alg", 256), "unsupported_sd_alg"),
    "payload_nested_too_deep": (_set("payload", "deep", _nest(100)), "too_deep"),
    # Claims of the processed payload (§7.1 step 6, SD-JWT VC §3.2.2)
    "iss_another": (_set("payload", "iss", "https://login.eid.evil"), "invalid_issuer"),
    "iss_missing": (_drop("payload", "iss"), "invalid_issuer"),
    "exp_missing": (_drop("payload", "exp"), "missing_claim"),
    "exp_passed": (_set("payload", "exp", NOW - 100), "expired"),
    "exp_a_string": (_set("payload", "exp", str(NOW + 3600)), "invalid_claim"),
    "iat_missing": (_drop("payload", "iat"), "missing_claim"),
    "iat_in_the_future": (_set("payload", "iat", NOW + 3600), "issued_in_future"),
    "nbf_in_the_future": (_set("payload", "nbf", NOW + 3600), "not_yet_valid"),
    "vct_missing": (_drop("payload", "vct"), "missing_claim"),
    "vct_a_list": (_set("payload", "vct", [VCT]), "missing_claim"),
    # Key Binding (§7.3)
    "kb_jwt_dropped": (lambda p: _other(p, kb_claims=None), "kb_jwt_missing"),
    "cnf_missing": (_drop("payload", "cnf"), "holder_key_missing"),
    "cnf_without_jwk": (_set("payload", "cnf", {"jkt": "abc"}), "holder_key_missing"),
    "cnf_a_string": (_set("payload", "cnf", "key"), "holder_key_invalid"),
    "cnf_jwk_private": (lambda p: p.payload["cnf"]["jwk"].update(d="AAAA"),
                        "holder_key_invalid"),
    "cnf_jwk_symmetric": (_set("payload", "cnf", {"jwk": {"kty": "oct", "k": "c2VjcmV0"}}),
                          "holder_key_invalid"),
    "cnf_jwk_for_encryption": (lambda p: p.payload["cnf"]["jwk"].update(use="enc"),
                               "holder_key_invalid"),
    "kb_typ_jwt": (_set("kb_header", "typ", "JWT"), "wrong_token_type"),
    "kb_typ_missing": (_drop("kb_header", "typ"), "wrong_token_type"),
    "kb_typ_dc_sd_jwt": (_set("kb_header", "typ", "dc+sd-jwt"), "wrong_token_type"),
    "kb_alg_none": (_set("kb_header", "alg", "none"), "alg_none"),
    "kb_signed_by_another_key": (_kb_signed_by("ec-p256"), "kb_bad_signature"),
    "kb_alg_not_the_holder_keys": (_kb_signed_by("ed25519", alg="EdDSA"), "key_mismatch"),
    # The KB-JWT's own kid never chooses the key: cnf.jwk does.
    "kb_kid_of_the_issuer_is_ignored": (_kb_signed_by("ec-p256", kid="ec-p256"),
                                        "kb_bad_signature"),
    "kb_aud_another": (_set("kb_claims", "aud", "https://other.office.eid.test"),
                       "invalid_audience"),
    "kb_aud_missing": (_drop("kb_claims", "aud"), "missing_claim"),
    "kb_aud_a_number": (_set("kb_claims", "aud", 1), "invalid_claim"),
    "kb_nonce_another": (_set("kb_claims", "nonce", "replayed-nonce"), "nonce_mismatch"),
    "kb_nonce_missing": (_drop("kb_claims", "nonce"), "missing_claim"),
    "kb_nonce_a_number": (_set("kb_claims", "nonce", 1234), "invalid_claim"),
    "kb_sd_hash_another": (_set("kb_claims", "sd_hash", b64url_encode(b"x" * 32)),
                           "sd_hash_mismatch"),
    "kb_sd_hash_missing": (_drop("kb_claims", "sd_hash"), "missing_claim"),
    # The KB-JWT signed over the full presentation; then the Disclosures change.
    "disclosure_dropped_after_kb": (_finish(lambda s: s.replace(f"~{BIRTH}", "", 1)),
                                    "sd_hash_mismatch"),
    "disclosures_reordered_after_kb": (
        _finish(lambda s: s.replace(f"~{NAME}~{BIRTH}~", f"~{BIRTH}~{NAME}~", 1)),
        "sd_hash_mismatch"),
    "kb_iat_missing": (_drop("kb_claims", "iat"), "missing_claim"),
    "kb_iat_a_string": (_set("kb_claims", "iat", str(NOW)), "invalid_claim"),
    "kb_iat_in_the_future": (_set("kb_claims", "iat", NOW + 3600), "issued_in_future"),
    "kb_iat_too_old": (_set("kb_claims", "iat", NOW - 3600), "token_too_old"),
    "kb_exp_passed": (_set("kb_claims", "exp", NOW - 100), "expired"),
    "kb_two_segments": (_finish(lambda s: s[: s.rindex(".")]), "malformed"),
}


@pytest.mark.parametrize(("mutate", "code"), MUTATIONS.values(), ids=MUTATIONS.keys())
def test_one_mutation_one_code(mutate: Callable[[Parts], None], code: str, parts: Parts,
                               build: Any, jwks: dict[str, Any]) -> None:
    mutated = copy.deepcopy(parts)
    mutate(mutated)
    with pytest.raises(TokenError) as caught:
        verify(build(mutated), jwks)
    assert caught.value.code == code


def test_a_kb_jwt_is_checked_even_when_not_required(parts: Parts, build: Any,
                                                    jwks: dict[str, Any]) -> None:
    unbound = {"audience": None, "nonce": None, "max_age": None}
    assert verify(build(parts), jwks, **unbound)["name"] == "Trần Thị Hoà"
    parts.kb_claims["sd_hash"] = b64url_encode(b"x" * 32)  # type: ignore[index]
    with pytest.raises(TokenError) as caught:
        verify(build(parts), jwks, **unbound)
    assert caught.value.code == "sd_hash_mismatch"


@pytest.mark.parametrize("required_by", [{"audience": OFFICE}, {"nonce": NONCE},
                                         {"max_age": 60}])
def test_each_binding_argument_requires_a_kb_jwt(required_by: dict[str, Any], parts: Parts,
                                                 build: Any, jwks: dict[str, Any]) -> None:
    parts.kb_claims = None
    unbound = {"audience": None, "nonce": None, "max_age": None}
    assert verify(build(parts), jwks, **unbound)
    with pytest.raises(TokenError) as caught:
        verify(build(parts), jwks, **{**unbound, **required_by})
    assert caught.value.code == "kb_jwt_missing"


def test_without_disclosures_only_the_visible_claims_remain(parts: Parts, build: Any,
                                                           jwks: dict[str, Any]) -> None:
    parts.disclosures = []
    assert set(verify(build(parts), jwks)) == {"iss", "iat", "exp", "vct", "cnf", "client_id"}


def test_an_undisclosed_array_element_is_removed(parts: Parts, build: Any,
                                                 jwks: dict[str, Any]) -> None:
    parts.disclosures.remove(HEAD)
    assert verify(build(parts), jwks)["vn_household_members"] == EXPECTED_MEMBERS[1:]


def test_recursive_disclosures_are_resolved(parts: Parts, build: Any,
                                            jwks: dict[str, Any]) -> None:
    street = disclosure("salt-street-000006", "street_address", "15 Yersin")
    address = disclosure("salt-address-00007", "address",
                         {"_sd": [digest(street)], "country": "Việt Nam"})
    parts.disclosures += [street, address]
    parts.payload["_sd"] = sorted([*parts.payload["_sd"], digest(address)])
    assert verify(build(parts), jwks)["address"] == {"street_address": "15 Yersin",
                                                     "country": "Việt Nam"}
    parts.disclosures.remove(street)  # the inner one withheld
    assert verify(build(parts), jwks)["address"] == {"country": "Việt Nam"}


def test_an_application_prefixed_typ_is_the_same_type(parts: Parts, build: Any,
                                                      jwks: dict[str, Any]) -> None:
    parts.header["typ"] = "application/DC+SD-JWT"
    parts.kb_header["typ"] = "application/kb+jwt"  # type: ignore[index]
    assert verify(build(parts), jwks)


def test_another_typ_can_be_required(parts: Parts, build: Any, jwks: dict[str, Any]) -> None:
    parts.header["typ"] = "example+sd-jwt"
    del parts.payload["vct"]  # only SD-JWT VC requires vct
    assert verify(build(parts), jwks, typ="example+sd-jwt")


def test_a_vct_can_be_required(parts: Parts, build: Any, jwks: dict[str, Any]) -> None:
    assert verify(build(parts), jwks, vct=VCT)
    with pytest.raises(TokenError) as caught:
        verify(build(parts), jwks, vct="urn:eid:vn:other:1")
    assert caught.value.code == "invalid_vct"


def test_bytes_are_accepted(parts: Parts, build: Any, jwks: dict[str, Any]) -> None:
    assert verify(build(parts).encode("ascii"), jwks)["name"] == "Trần Thị Hoà"


def test_the_leeway_applies_to_exp(parts: Parts, build: Any, jwks: dict[str, Any]) -> None:
    parts.payload["exp"] = NOW
    assert verify(build(parts), jwks, leeway=60)
    with pytest.raises(TokenError) as caught:
        verify(build(parts), jwks, leeway=0)
    assert caught.value.code == "expired"


@pytest.mark.parametrize(("overrides", "name"), [
    ({"issuer": ""}, "issuer"),
    ({"issuer": None}, "issuer"),
    ({"audience": ""}, "audience"),
    ({"nonce": 5}, "nonce"),
    ({"vct": ""}, "vct"),
    ({"typ": ""}, "typ"),
    ({"max_age": -1}, "max_age"),
    ({"max_age": float("nan")}, "max_age"),
    ({"leeway": 301}, "leeway"),
    ({"leeway": True}, "leeway"),
    ({"now": "now"}, "now"),
    ({"max_size": 0}, "max_size"),
])
def test_invalid_arguments_are_the_callers_mistake(overrides: dict[str, Any], name: str,
                                                   parts: Parts, build: Any,
                                                   jwks: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=name) as caught:
        verify(build(parts), jwks, **overrides)
    assert caught.value.code == "invalid_argument"


@pytest.mark.parametrize("value", ["no-tilde-at-all", "ẞ~", ""])
def test_sd_hash_of_a_malformed_sd_jwt_is_a_token_error(value: str) -> None:
    with pytest.raises(TokenError) as caught:
        sd_hash(value)
    assert caught.value.code == "sd_jwt_malformed"


def test_the_required_typ_may_carry_the_application_prefix(parts: Parts, build: Any,
                                                           jwks: dict[str, Any]) -> None:
    assert verify(build(parts), jwks, typ="application/dc+sd-jwt")
