"""RFC 9901 and SD-JWT VC (draft 18) examples: every compact case verifies and yields the
printed payload; the negatives the vectors' README derives are refused with their code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from eid.errors import TokenError
from eid.verify import (
    decode_disclosure,
    disclosure_digest,
    resolve_disclosures,
    split_sd_jwt,
    verify_key_binding,
    verify_sd_jwt,
    verify_sd_jwt_signature,
)
from tests.verify.sd_jwt_vectors import (
    ROOT,
    Case,
    cases,
    issuer_jwks,
    load_json,
    read_token,
    require_vectors,
)

ALL = cases()
COMPACT = [c for c in ALL if c.compact]
JSON_SERIALIZED = [c for c in ALL if not c.compact]
#: Why the JWS JSON serialization cases (RFC 9901 §8) are not run.
JSON_SKIP_REASON = ("eid accepts only the compact serialization (RFC 9901 §4): credentials and "
                    "dossiers carry compact SD-JWTs, and one wire form is one parser to harden")


def _payload_of(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _has_iss(case: Case) -> bool:
    return "iss" in _payload_of(read_token(case.path(case.entry["file"])).split("~")[0])


WITH_ISS = [c for c in COMPACT if _has_iss(c)]
WITHOUT_ISS = [c for c in COMPACT if not _has_iss(c)]


def _expected(case: Case, signed_payload: dict[str, Any]) -> dict[str, Any]:
    if case.kind.startswith("presentation"):
        return load_json(case.path(case.entry["expected_processed_payload"]))
    # Issuance with every Disclosure: the input claims plus the always-visible ones.
    visible = {k: v for k, v in signed_payload.items() if k not in ("_sd", "_sd_alg")}
    return {**visible, **load_json(case.path(case.spec["input_claims"]))}


def _binding(case: Case) -> dict[str, Any]:
    if not case.entry.get("key_binding"):
        return {}
    kb = case.top["key_binding"]
    return {"audience": kb["aud"], "nonce": kb["nonce"]}


def _now(case: Case) -> float:
    return float(case.top["time"]["suggested_verifier_now"])


def test_the_indexes_list_the_cases_this_suite_expects() -> None:
    require_vectors()
    # 13 issued or presented SD-JWTs in compact form (8 of RFC 9901, 5 of SD-JWT VC), 3 in
    # JWS JSON (§8.2 issuance and presentation, §8.3 presentation): a case added to an
    # index shows up here.
    assert (len(COMPACT), len(JSON_SERIALIZED)) == (13, 3)
    assert (len(WITH_ISS), len(WITHOUT_ISS)) == (11, 2)


def test_json_serialization_cases_are_skipped_by_decision() -> None:
    require_vectors()
    assert sorted(c.id for c in JSON_SERIALIZED) == [
        "rfc9901/json_serialization_flattened/issuance",
        "rfc9901/json_serialization_flattened/presentation",
        "rfc9901/json_serialization_general/presentation",
    ]


@pytest.mark.parametrize("case", JSON_SERIALIZED, ids=[c.id for c in JSON_SERIALIZED])
def test_json_serialization(case: Case) -> None:
    pytest.skip(JSON_SKIP_REASON)


@pytest.mark.parametrize("case", WITH_ISS, ids=[c.id for c in WITH_ISS])
def test_compact_case_yields_the_printed_payload(case: Case) -> None:
    token = read_token(case.path(case.entry["file"]))
    signed = _payload_of(split_sd_jwt(token).jwt)
    claims = verify_sd_jwt(token, issuer=signed["iss"], jwks=issuer_jwks(case),
                           typ=case.spec["typ"], now=_now(case), **_binding(case))
    assert claims == _expected(case, signed)


def test_only_the_vcdm_example_lacks_iss() -> None:
    require_vectors()
    assert [c.id for c in WITHOUT_ISS] == ["rfc9901/jsonld/issuance",
                                           "rfc9901/jsonld/presentation"]


@pytest.mark.parametrize("case", WITHOUT_ISS, ids=[c.id for c in WITHOUT_ISS])
def test_a_case_without_iss_verifies_piece_by_piece(case: Case) -> None:
    # A.4 (VCDM, include_default_claims: False) has no iss, iat or exp, which
    # verify_sd_jwt requires; the lower-level pieces it is built of still verify it.
    token = read_token(case.path(case.entry["file"]))
    parts = split_sd_jwt(token)
    _, payload = verify_sd_jwt_signature(parts.jwt, jwks=issuer_jwks(case),
                                         typ=case.spec["typ"])
    claims = resolve_disclosures(payload, [decode_disclosure(d) for d in parts.disclosures])
    assert claims == _expected(case, payload)
    if parts.kb_jwt is not None:
        kb = verify_key_binding(parts.kb_jwt, sd_jwt=token, holder=claims, max_age=None,
                                leeway=60, now=_now(case), **_binding(case))
        assert kb["iat"] == case.entry["kb_iat"]


@pytest.mark.parametrize("case", [c for c in COMPACT if c.entry.get("key_binding")],
                         ids=[c.id for c in COMPACT if c.entry.get("key_binding")])
def test_kb_jwt_payload_is_the_printed_one(case: Case) -> None:
    require_vectors()
    token = read_token(case.path(case.entry["file"]))
    kb = _payload_of(split_sd_jwt(token).kb_jwt or "")
    assert kb["iat"] == case.entry["kb_iat"]
    if case.entry.get("kb_jwt_payload"):
        assert kb == load_json(case.path(case.entry["kb_jwt_payload"]))


def _disclosure_lists() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/*/disclosures.json"))


@pytest.mark.parametrize("relative", _disclosure_lists())
def test_listed_disclosures_decode_to_their_digest_and_contents(relative: str) -> None:
    require_vectors()
    for entry in load_json(ROOT / relative):
        decoded = decode_disclosure(entry["disclosure"])
        assert decoded.digest == entry["digest"] == disclosure_digest(entry["disclosure"])
        assert decoded.name == entry["claim"]
        assert [decoded.salt, *([decoded.name] if decoded.name else []), decoded.value] \
            == entry["contents"]


def test_section4_disclosures_hash_as_received() -> None:
    require_vectors()
    vectors = load_json(ROOT / "rfc9901" / "section4_disclosures.json")["vectors"]
    assert len(vectors) == 5
    digests = set()
    for vector in vectors:
        decoded = decode_disclosure(vector["disclosure"])
        assert decoded.digest == vector["digest_sha256"]
        assert [decoded.salt, *([decoded.name] if decoded.name else []), decoded.value] \
            == vector["contents"]
        digests.add(decoded.digest)
    assert len(digests) == 5  # one claim, four encodings, four digests (§4.2.3)


@pytest.mark.parametrize(("example", "disclosures_of", "take"), [
    ("address_only_flat", "address_only_flat", None),
    ("address_only_structured", "address_only_structured", None),
    ("address_only_structured_one_open", "address_only_structured", 3),
    ("address_only_recursive", "address_only_recursive", None),
])
def test_unsigned_section6_payloads_resolve_to_the_input_claims(
        example: str, disclosures_of: str, take: int | None) -> None:
    require_vectors()
    base = ROOT / "rfc9901"
    payload = load_json(base / example / "sd_jwt_payload.json")
    listed = load_json(base / disclosures_of / "disclosures.json")[:take]
    claims = resolve_disclosures(payload, [decode_disclosure(e["disclosure"]) for e in listed])
    expected = {**load_json(base / "address_only_flat" / "user_claims.json"),
                **{k: payload[k] for k in ("iss", "iat", "exp")}}
    assert claims == expected


# --- negatives derived from the vectors (README "What a verifier test can assert") -------

def _simple() -> tuple[Case, str]:
    require_vectors()
    case = next(c for c in COMPACT if c.id == "rfc9901/simple/presentation")
    return case, read_token(case.path(case.entry["file"]))


def _verify_simple(token: str, **overrides: Any) -> dict[str, Any]:
    case, _ = _simple()
    args: dict[str, Any] = {"issuer": "https://issuer.example.com", "jwks": issuer_jwks(case),
                            "typ": "example+sd-jwt", "now": _now(case), **_binding(case)}
    args.update(overrides)
    return verify_sd_jwt(token, **args)


def _rebuild(jwt: str, disclosures: list[str], kb: str | None) -> str:
    return "~".join([jwt, *disclosures, kb or ""])


def _mutations() -> dict[str, Any]:
    def swap_build(token: str, case: Case) -> str:
        ghpages = load_json(case.path("simple/ghpages_draft22_build.json"))["sd_jwt_presentation"]
        parts, theirs = split_sd_jwt(token), split_sd_jwt(ghpages)
        return _rebuild(parts.jwt, list(parts.disclosures), theirs.kb_jwt)

    def swap_build_reverse(token: str, case: Case) -> str:
        ghpages = load_json(case.path("simple/ghpages_draft22_build.json"))["sd_jwt_presentation"]
        parts, theirs = split_sd_jwt(token), split_sd_jwt(ghpages)
        return _rebuild(theirs.jwt, list(theirs.disclosures), parts.kb_jwt)

    def edit(fn: Any) -> Any:
        def apply(token: str, case: Case) -> str:
            parts = split_sd_jwt(token)
            return _rebuild(parts.jwt, fn(list(parts.disclosures)), parts.kb_jwt)
        return apply

    issuance = "simple/sd_jwt_issuance.txt"

    def add_one(token: str, case: Case) -> str:
        extra = split_sd_jwt(read_token(case.path(issuance))).disclosures
        parts = split_sd_jwt(token)
        new = next(d for d in extra if d not in parts.disclosures)
        return _rebuild(parts.jwt, [*parts.disclosures, new], parts.kb_jwt)

    def flip_signature(token: str, case: Case) -> str:
        parts = split_sd_jwt(token)
        head, body, sig = parts.jwt.split(".")
        sig = ("B" if sig[0] == "A" else "A") + sig[1:]
        return _rebuild(f"{head}.{body}.{sig}", list(parts.disclosures), parts.kb_jwt)

    return {
        "rfc_jwt_with_the_other_builds_kb": (swap_build, "sd_hash_mismatch"),
        "other_builds_jwt_with_the_rfc_kb": (swap_build_reverse, "sd_hash_mismatch"),
        "drop_a_disclosure": (edit(lambda d: d[1:]), "sd_hash_mismatch"),
        "reorder_disclosures": (edit(lambda d: d[::-1]), "sd_hash_mismatch"),
        "duplicate_a_disclosure": (edit(lambda d: [*d, d[0]]), "duplicate_disclosure"),
        "add_a_disclosure": (add_one, "sd_hash_mismatch"),
        "flip_an_issuer_signature_byte": (flip_signature, "bad_signature"),
        "drop_the_kb_jwt": (lambda t, c: t[: t.rindex("~") + 1], "kb_jwt_missing"),
    }


@pytest.mark.parametrize(("mutation", "code"), [(v[0], v[1]) for v in _mutations().values()],
                         ids=list(_mutations()))
def test_a_mutated_rfc_presentation_is_refused(mutation: Any, code: str) -> None:
    case, token = _simple()
    assert _verify_simple(token)  # the unmutated one passes
    with pytest.raises(TokenError) as caught:
        _verify_simple(mutation(token, case))
    assert caught.value.code == code


@pytest.mark.parametrize(("overrides", "code"), [
    ({"nonce": "1234567891"}, "nonce_mismatch"),
    ({"audience": "https://other.example.org"}, "invalid_audience"),
    ({"now": 1_883_000_000 + 61}, "expired"),
    ({"now": 1_748_537_244 + 200, "max_age": 60}, "token_too_old"),
    ({"issuer": "https://issuer.example.net"}, "invalid_issuer"),
    ({"typ": "dc+sd-jwt"}, "wrong_token_type"),
])
def test_the_rfc_presentation_under_other_expectations(overrides: dict[str, Any],
                                                       code: str) -> None:
    _, token = _simple()
    with pytest.raises(TokenError) as caught:
        _verify_simple(token, **overrides)
    assert caught.value.code == code


@pytest.mark.parametrize("example", ["simple_structured", "complex_ekyc"])
def test_an_unreferenced_disclosure_is_refused(example: str) -> None:
    require_vectors()
    case = next(c for c in COMPACT if c.id == f"rfc9901/{example}/presentation")
    token = read_token(case.path(case.entry["file"]))
    stranger = read_token(ROOT / "rfc9901" / "simple" / "sd_jwt_issuance.txt").split("~")[1]
    parts = split_sd_jwt(token)
    args = {"issuer": "https://issuer.example.com", "jwks": issuer_jwks(case),
            "typ": case.spec["typ"], "now": _now(case)}
    assert verify_sd_jwt(token, **args)
    with pytest.raises(TokenError) as caught:
        verify_sd_jwt(_rebuild(parts.jwt, [*parts.disclosures, stranger], None), **args)
    assert caught.value.code == "unreferenced_disclosure"
