"""Parsing key sets: what refuses a whole set and what skips one key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from eid.errors import KeySourceError, TokenError
from eid.signing import SigningKey
from eid.verify import ALGORITHMS, KeySet
from eid.verify._codec import b64url_encode
from eid.verify.roca import has_roca_fingerprint


def _b64int(n: int) -> str:
    return b64url_encode(n.to_bytes((n.bit_length() + 7) // 8, "big"))


@pytest.fixture(scope="module")
def pub(signing_keys: dict[str, SigningKey]) -> Callable[[str], dict[str, Any]]:
    return lambda kid: dict(signing_keys[kid].public_jwk)


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda p: None, "malformed_jwks"),
        (lambda p: [], "malformed_jwks"),
        (lambda p: {"keys": {}}, "malformed_jwks"),
        (lambda p: {"keys": ["x"]}, "malformed_jwks"),
        (lambda p: {"keys": [{"n": "AQAB"}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "d": "AAAA"}]}, "private_key_in_jwks"),
        (lambda p: {"keys": [p("ec-p256"), {"kty": "oct", "k": "c2VjcmV0"}]},
         "private_key_in_jwks"),
        (lambda p: {"keys": [p("rsa-2048"), {**p("ec-p256"), "kid": "rsa-2048"}]},
         "duplicate_kid"),
        (lambda p: {"keys": [{**p("ec-p256"), "kid": 5}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "kid": ""}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "x": p("ec-p256")["y"]}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "x": "AAAA"}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "y": None}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("rsa-2048"), "n": "not base64!"}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ed25519"), "x": "AAAA"}]}, "malformed_jwks"),
        (lambda p: {"keys": [{**p("ec-p256"), "alg": 256}]}, "malformed_jwks"),
    ],
    ids=[
        "none", "list", "keys-not-list", "key-not-object", "no-kty", "private-ec",
        "secret-oct", "duplicate-kid", "kid-not-string", "kid-empty", "point-off-curve",
        "short-coordinate", "missing-y", "bad-base64", "short-ed25519", "alg-not-string",
    ],
)
def test_broken_key_sets_are_refused_whole(
    build: Callable[..., Any], code: str, pub: Callable[[str], dict[str, Any]]
) -> None:
    with pytest.raises(KeySourceError) as err:
        KeySet.from_jwks(build(pub))
    assert err.value.code == code


def _rsa_jwk(bits: int = 2048, e: int = 65537, **extra: Any) -> dict[str, Any]:
    n = rsa.generate_private_key(65537, bits).public_key().public_numbers().n
    return {"kty": "RSA", "n": _b64int(n), "e": _b64int(e), **extra}


@pytest.fixture(scope="module")
def rsa_1024() -> dict[str, Any]:
    return _rsa_jwk(1024, kid="weak")


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda p: {**p("ec-p256"), "use": "enc"}, "use"),
        (lambda p: {**p("ec-p256"), "key_ops": ["encrypt"]}, "key_ops"),
        (lambda p: {**p("ec-p256"), "key_ops": "verify"}, "key_ops"),
        (lambda p: {**p("ec-p256"), "kty": "XYZ"}, "unsupported key type"),
        (lambda p: {**p("ec-p256"), "crv": "P-384"}, "curve"),
        (lambda p: {**p("ed25519"), "crv": "X25519"}, "curve"),
        (lambda p: {**p("ec-p256"), "alg": "RS256"}, "algorithm"),
        (lambda p: {**p("ec-p256"), "alg": "HS256"}, "algorithm"),
        (lambda p: {**p("rsa-2048"), "e": _b64int(1)}, "exponent"),
        (lambda p: {**p("rsa-2048"), "e": _b64int(65536)}, "exponent"),
    ],
)
def test_unusable_keys_are_skipped_with_a_reason(
    build: Callable[..., Any], reason: str, pub: Callable[[str], dict[str, Any]],
    mint: Callable[..., str],
) -> None:
    jwk = build(pub)
    other = pub("ec-p256" if jwk["kid"] == "ed25519" else "ed25519")
    keys = KeySet.from_jwks({"keys": [jwk, other]})
    assert len(keys) == 1
    assert reason in keys.skipped[jwk["kid"]]
    # A token naming the skipped key says why instead of "unknown kid".
    from eid.verify import verify_jws

    with pytest.raises(TokenError) as err:
        verify_jws(mint(kid=jwk["kid"]), keys)
    assert err.value.code == "key_rejected"


def test_small_rsa_modulus_is_skipped(rsa_1024: dict[str, Any]) -> None:
    keys = KeySet.from_jwks({"keys": [rsa_1024]})
    assert len(keys) == 0
    assert "1024 bits" in keys.skipped["weak"]


def test_keys_without_kid_are_skipped_by_index() -> None:
    keys = KeySet.from_jwks({"keys": [{"kty": "oops"}]})
    assert keys.skipped == {"#0": "unsupported key type 'oops'"}


def test_key_with_verify_in_key_ops_and_sig_use_is_kept(
    pub: Callable[[str], dict[str, Any]]
) -> None:
    keys = KeySet.from_jwks({"keys": [{**pub("ec-p256"), "key_ops": ["verify"], "use": "sig"}]})
    assert len(keys) == 1


def test_keys_fit_only_their_algorithms(keyset: KeySet) -> None:
    fits = {k.kid: sorted(a for a, alg in ALGORITHMS.items() if k.fits(alg)) for k in keyset.keys}
    # The fixture keys carry their own "alg", which restricts each one (RFC 7517 §4.4).
    assert fits == {
        "rsa-2048": ["RS256"],
        "rsa-2048-b": ["PS256"],
        "ec-p256": ["ES256"],
        "ec-p256-b": ["ES256"],
        "ed25519": ["Ed25519", "EdDSA"],
    }


def test_roca_fingerprint_detection() -> None:
    # A modulus built like Infineon's: n = p*q with p, q = k*M + 65537^a mod M.
    primes = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
              83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167]
    m = 2
    for p in primes:
        m *= p
    weak = [(k * m + pow(65537, a, m)) for k, a in ((7, 11), (13, 29))]
    assert has_roca_fingerprint(weak[0] * weak[1])
    n = rsa.generate_private_key(65537, 2048).public_key().public_numbers().n
    assert not has_roca_fingerprint(n)
