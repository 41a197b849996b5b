"""Project Wycheproof JOSE vectors (C2SP/wycheproof, read from ``<shared>/vectors/wycheproof``).

* ``json_web_signature_test.json`` and ``json_web_key_test.json``: one test per vector, run
  through :func:`eid.verify.verify_jws` with the group's keys. For an algorithm the verifier
  supports, the outcome must equal the vector's ``result``; any other algorithm (HS*, RS384/512,
  PS384/512, ES384/512, none, JSON serialization) must be rejected. Eight upstream labels are
  wrong (``MISLABELED``): for those the verifier's correct behaviour is asserted instead.
* ``primitives/``: raw signature vectors in the encodings JWS uses. They sign arbitrary bytes, not
  a JWS signing input, so they go through the algorithm layer (``ALGORITHMS[alg].verify``) with a
  key parsed by :class:`eid.verify.KeySet` from a JWK built from the group's public key.

"Rejected" means :class:`TokenError` or :class:`KeySourceError`; any other exception is a crash,
and a crash fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import pytest

from eid.signing import SigningKey, sign_segments
from eid.verify import ALGORITHMS, KeySet, KeySourceError, TokenError, verify_jws
from tests.verify.vectors import (
    JwsVector,
    PrimitiveVector,
    primitive_vectors,
    require_vectors,
    shared_vectors_dir,
    wycheproof_jws_vectors,
)

SUPPORTED = frozenset(ALGORITHMS)


class Mislabel(NamedTuple):
    accepted: bool  # what the verifier must (and does) do
    code: str | None  # the TokenError code when rejected
    reason: str


# Upstream vectors whose label is wrong (see <shared>/vectors/README.md). All eight happen to use
# an algorithm this verifier does not support, so the asserted outcome is a rejection either way;
# the reason records what a verifier that did support the algorithm should do.
MISLABELED: dict[tuple[str, int], Mislabel] = {
    ("jws", 346): Mislabel(False, "unsupported_algorithm", (
        "RFC 7520 §4.2 Figure 20: a PS384 signature by Bilbo's RSA key, but the group's JWK says "
        "alg PS256, and RFC 7517 §4.4 restricts the key to that algorithm, so 'valid' is wrong "
        "for a verifier that honours the JWK alg. PS384 is also outside the allow-list, and that "
        "rule fires first.")),
    ("jws", 347): Mislabel(False, "unsupported_algorithm", (
        "RFC 7520 §4.3 Figure 27: an ES512 signature by a P-521 key whose JWK says alg 'ES521' "
        "(not an RFC 7518 name), so the key may not verify ES512; 'valid' only if the JWK alg is "
        "ignored. ES512/P-521 are unsupported here: rejected before any key is looked up.")),
    ("jws", 350): Mislabel(False, "unsupported_algorithm", (
        "tc 346 again with key_ops ['verify']: the JWK alg PS256 forbids the token's PS384; "
        "PS384 is unsupported here in any case.")),
    ("jws", 351): Mislabel(False, "unsupported_algorithm", (
        "tc 347 again with key_ops ['verify']: the JWK alg 'ES521' forbids the token's ES512; "
        "ES512 is unsupported here in any case.")),
    ("jws", 367): Mislabel(False, "unsupported_algorithm", (
        "'invalidBase64Padding' but byte-identical to the valid HS256 tc 357 (the padding the "
        "generator meant to add is missing), so a verifier supporting HS256 must accept it; "
        "HS256 is not supported here.")),
    ("jws", 370): Mislabel(False, "unsupported_algorithm", (
        "'invalidBase64PaddingInPayload' but byte-identical to the valid HS256 tc 357; a "
        "verifier supporting HS256 must accept it; HS256 is not supported here.")),
    ("jws", 372): Mislabel(False, "bad_base64", (
        "tc 357 with '?' inserted in the header segment, labelled valid: '?' is outside the "
        "base64url alphabet (RFC 4648 §5, RFC 7515 §2), so the token must be rejected; the "
        "header is decoded before its alg is read, hence bad_base64.")),
    ("jws", 373): Mislabel(False, "unsupported_algorithm", (
        "tc 357 with '?' appended to the payload segment, labelled valid: must be rejected as "
        "non-canonical base64url; here the header's HS256 is refused before the payload is "
        "decoded (test_mislabeled_base64_defects_are_rejected_with_es256 shows the '?' alone "
        "is rejected).")),
}


def _collect() -> list[Any]:
    if shared_vectors_dir() is None:
        return [pytest.param(None, id="vectors-missing")]
    vectors = (wycheproof_jws_vectors("json_web_signature_test.json", "jws")
               + wycheproof_jws_vectors("json_web_key_test.json", "jwk"))
    params = []
    for v in vectors:
        suffix = ("mislabeled" if (v.suite, v.tc_id) in MISLABELED
                  else "" if v.alg in SUPPORTED else f"unsupported-alg-{v.alg or 'json'}")
        params.append(pytest.param(v, id=f"{v.test_id}-{suffix}" if suffix else v.test_id))
    return params


def _collect_primitives() -> list[Any]:
    if shared_vectors_dir() is None:
        return [pytest.param(None, id="vectors-missing")]
    return [pytest.param(v, id=v.test_id) for v in primitive_vectors()]


def _outcome(token: str, jwks: dict[str, Any]) -> tuple[bool, str | None]:
    """(accepted, error code); any exception other than the two rejections propagates."""
    try:
        verify_jws(token, jwks)
    except (TokenError, KeySourceError) as exc:
        return False, exc.code
    return True, None


def _require(shared_dir: Path, vector: object) -> None:
    # shared_dir (tests/conftest.py) and require_vectors skip locally, and fail in CI, when the
    # data is missing; a missing vector past them means collection and run disagree.
    require_vectors()
    if vector is None:
        pytest.fail(f"vectors appeared under {shared_dir} after collection")


@pytest.mark.parametrize("vector", _collect())
def test_jws_vector(shared_dir: Path, vector: JwsVector) -> None:
    _require(shared_dir, vector)
    accepted, code = _outcome(vector.token, vector.jwks)
    mislabel = MISLABELED.get((vector.suite, vector.tc_id))
    if mislabel is not None:
        assert (accepted, code) == (mislabel.accepted, mislabel.code), mislabel.reason
    elif vector.alg in SUPPORTED:
        if vector.result != "acceptable":
            assert accepted == (vector.result == "valid"), (
                f"{vector.comment} {vector.flags}: expected {vector.result}, got "
                f"{'accepted' if accepted else code}")
    else:
        assert not accepted, f"{vector.alg!r} is not supported and must be rejected"


def test_mislabeled_vectors_exist(shared_dir: Path) -> None:
    """Every documented exception names a real vector (a typo would silently test nothing)."""
    require_vectors()
    ids = {(v.suite, v.tc_id) for v in wycheproof_jws_vectors("json_web_signature_test.json",
                                                                "jws")}
    assert set(MISLABELED) <= ids


_ES256_HEADER = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjLXAyNTYifQ"  # {"alg":"ES256","kid":"ec-p256"}
_TEST_PAYLOAD = "VGVzdA"  # "Test", tc 357's payload


@pytest.mark.parametrize(("header", "payload", "expected"), [
    pytest.param(_ES256_HEADER, _TEST_PAYLOAD, (True, None), id="control"),
    pytest.param(_ES256_HEADER[:-1] + "?" + _ES256_HEADER[-1:], _TEST_PAYLOAD,
                 (False, "bad_base64"), id="tc372-header"),
    pytest.param(_ES256_HEADER, _TEST_PAYLOAD + "?", (False, "bad_base64"), id="tc373-payload"),
])
def test_mislabeled_base64_defects_are_rejected_with_es256(
    signing_keys: dict[str, SigningKey], jwks: dict[str, Any],
    header: str, payload: str, expected: tuple[bool, str | None],
) -> None:
    """tc 372/373's defect (a '?' in a segment), validly signed with a supported algorithm."""
    token = sign_segments(header, payload, signing_keys["ec-p256"])
    assert _outcome(token, jwks) == expected


# Keys the verifier's policy refuses would appear here as (file, group) -> reason. Every
# primitive group key meets the policy: 2048-bit RSA moduli with e = 65537 or e = 3 (odd and > 1,
# as the spec requires; Wycheproof flags e = 3 only as weak, not invalid), valid P-256 points
# (including the edge-case coordinates) and 32-octet Ed25519 keys.
POLICY_SKIPS: dict[tuple[str, int], str] = {}


@pytest.mark.parametrize("vector", _collect_primitives())
def test_primitive_vector(shared_dir: Path, vector: PrimitiveVector) -> None:
    _require(shared_dir, vector)
    keys = KeySet.from_jwks({"keys": [vector.jwk]})
    skip_reason = POLICY_SKIPS.get((vector.file, vector.group))
    if skip_reason is not None:
        assert not keys.keys, f"expected the key to be refused: {skip_reason}"
        return
    assert len(keys.keys) == 1, f"key refused: {keys.skipped}"
    key = keys.keys[0]
    try:
        ALGORITHMS[vector.alg].verify(key.key, key.size, vector.sig, vector.msg)
        accepted = True
    except TokenError as exc:
        assert exc.code == "bad_signature"
        accepted = False
    if vector.result != "acceptable":
        assert accepted == (vector.result == "valid"), f"{vector.comment} {vector.flags}"


def test_primitive_jwks_match_upstream(shared_dir: Path) -> None:
    """The JWKs built from the raw keys equal the vectors' own JWKs, where they have one."""
    require_vectors()
    compared = 0
    for v in primitive_vectors():
        if v.upstream_jwk is not None:
            assert {k: v.upstream_jwk[k] for k in v.jwk} == v.jwk, v.test_id
            compared += 1
    assert compared > 0
