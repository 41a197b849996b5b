"""JWE decryption (:mod:`eid.verify.jwe`) and encryption (:func:`eid.oidc.encrypt_jwe`).

Round trips for every supported pair, one failure table (mutation -> code), the key set's
rules, nested ID tokens, and a property: arbitrary input only ever raises :class:`TokenError`.
Keys come from ``fixtures/keys/test-encryption-keys.json``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.errors import ConfigurationError
from eid.oidc import encrypt_jwe, encryption_jwk
from eid.verify import (
    SUPPORTED_ALG_VALUES,
    SUPPORTED_ENC_VALUES,
    DecryptionKeys,
    TokenError,
    decrypt_jwe,
    decrypt_nested_jwt,
    verify_encrypted_id_token,
)
from eid.verify._codec import b64url_decode, b64url_encode
from tests.verify.conftest import CLIENT, ISSUER, NONCE, NOW, Mint
from tests.verify.vectors import public_jwk

ROOT = Path(__file__).resolve().parents[2]
DOC: Final = json.loads((ROOT / "fixtures/keys/test-encryption-keys.json").read_text())
PRIVATE: Final = {k["kid"]: k for k in DOC["keys"]}
PUBLIC: Final = {kid: public_jwk(k) for kid, k in PRIVATE.items()}
KEYS: Final = DecryptionKeys.from_jwks(DOC)
ALL_ALGS: Final = SUPPORTED_ALG_VALUES
SECRET: Final = b'{"sub":"079203001234","name":"Nguy\xe1\xbb\x85n V\xc4\x83n A"}'

# Every supported pair with every key that can take it (the restricted key only its own alg).
PAIRS: Final = [
    (alg, enc, kid)
    for kid, key in PRIVATE.items()
    for alg in sorted(SUPPORTED_ALG_VALUES)
    for enc in sorted(SUPPORTED_ENC_VALUES)
    if (key["kty"] == "RSA") == alg.startswith("RSA") and key.get("alg") in (None, alg)
]


def seal(alg: str = "ECDH-ES+A256KW", enc: str = "A256GCM", kid: str = "ec-p256-enc",
         plaintext: bytes = SECRET, **header: str) -> str:
    return encrypt_jwe(plaintext, PUBLIC[kid], alg=alg, enc=enc, **header)


@pytest.mark.parametrize(("alg", "enc", "kid"), PAIRS)
def test_round_trip(alg: str, enc: str, kid: str) -> None:
    token = seal(alg, enc, kid)
    header, plaintext = decrypt_jwe(token, KEYS, alg_values=ALL_ALGS)
    assert plaintext == SECRET
    assert (header["alg"], header["enc"], header["kid"]) == (alg, enc, kid)


def test_every_supported_pair_is_covered() -> None:
    assert {(a, e) for a, e, _ in PAIRS} == {
        (a, e) for a in SUPPORTED_ALG_VALUES for e in SUPPORTED_ENC_VALUES}


def test_rsa_oaep_with_sha1_needs_the_callers_consent() -> None:
    token = seal("RSA-OAEP", kid="rsa-2048-enc")
    with pytest.raises(TokenError) as err:
        decrypt_jwe(token, KEYS)
    assert err.value.code == "jwe_unsupported_algorithm"


def test_without_kid_the_one_fitting_key_is_used() -> None:
    # ec-p256-enc-b is restricted to ECDH-ES, so only ec-p256-enc fits ECDH-ES+A256KW.
    anonymous = {k: v for k, v in PUBLIC["ec-p256-enc"].items() if k != "kid"}
    token = encrypt_jwe(SECRET, anonymous, alg="ECDH-ES+A256KW")
    header, plaintext = decrypt_jwe(token, KEYS)
    assert "kid" not in header
    assert plaintext == SECRET


# --- the failure table ---------------------------------------------------------------------

DROP: Any = object()


def _header(token: str, **changes: Any) -> str:
    head, rest = token.split(".", 1)
    header = json.loads(b64url_decode(head, "h"))
    for name, value in changes.items():
        if value is DROP:
            header.pop(name, None)
        else:
            header[name] = value
    return b64url_encode(json.dumps(header).encode()) + "." + rest


def _segment(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def _flip(token: str, index: int) -> str:
    raw = bytearray(b64url_decode(token.split(".")[index], "s"))
    raw[len(raw) // 2] ^= 1
    return _segment(token, index, b64url_encode(bytes(raw)))


def _epk_of(token: str) -> dict[str, Any]:
    head = token.split(".", maxsplit=1)[0]
    epk: dict[str, Any] = json.loads(b64url_decode(head, "h"))["epk"]
    return epk


def _epk(token: str, **changes: Any) -> str:
    epk = _epk_of(token)
    epk.update(changes)
    return _header(token, epk=epk)


def _off_curve(token: str) -> str:
    y = bytearray(b64url_decode(_epk_of(token)["y"], "y"))
    y[-1] ^= 1
    return _epk(token, y=b64url_encode(bytes(y)))


def _p384_point(token: str) -> str:
    return _header(token, epk=_epk_of(seal(kid="ec-p384-enc")))


Mutation = Callable[[str], Any]
FAILURES: dict[str, tuple[Mutation, str]] = {
    "not-a-string": (lambda t: 12345, "not_a_string"),
    "too-large": (lambda t: t + "A" * 70_000, "too_large"),
    "not-ascii": (lambda t: t.encode() + "é".encode(), "jwe_malformed"),
    "jws-three-segments": (lambda t: ".".join(t.split(".")[:3]), "jwe_malformed"),
    "six-segments": (lambda t: t + ".AA", "jwe_malformed"),
    "json-serialization": (lambda t: json.dumps({"protected": t.split(".")[0]}), "jwe_malformed"),
    "padded-header": (lambda t: _segment(t, 0, t.split(".")[0] + "=="), "bad_base64"),
    "non-canonical-tag": (lambda t: _segment(t, 4, t.split(".")[4][:-1] + "x"), "bad_base64"),
    "header-not-json": (lambda t: _segment(t, 0, b64url_encode(b"alg")), "bad_json"),
    "header-duplicate-member": (lambda t: _segment(t, 0, b64url_encode(
        b'{"alg":"RSA-OAEP-256","alg":"ECDH-ES+A256KW","enc":"A256GCM"}')), "bad_json"),
    "header-array": (lambda t: _segment(t, 0, b64url_encode(b"[]")), "bad_json"),
    "no-alg": (lambda t: _header(t, alg=DROP), "jwe_malformed"),
    "alg-not-a-string": (lambda t: _header(t, alg=["ECDH-ES"]), "jwe_malformed"),
    "no-enc": (lambda t: _header(t, enc=DROP), "jwe_malformed"),
    "alg-rsa1_5": (lambda t: _header(t, alg="RSA1_5"), "jwe_unsupported_algorithm"),
    "alg-dir": (lambda t: _header(t, alg="dir"), "jwe_unsupported_algorithm"),
    "alg-a128kw": (lambda t: _header(t, alg="A128KW"), "jwe_unsupported_algorithm"),
    "alg-pbes2": (lambda t: _header(t, alg="PBES2-HS512+A256KW", p2c=10**9),
                  "jwe_unsupported_algorithm"),
    "alg-none": (lambda t: _header(t, alg="none"), "jwe_unsupported_algorithm"),
    "enc-a192gcm": (lambda t: _header(t, enc="A192GCM"), "jwe_unsupported_algorithm"),
    "enc-is-an-alg": (lambda t: _header(t, enc="ECDH-ES"), "jwe_unsupported_algorithm"),
    "zip": (lambda t: _header(t, zip="DEF"), "jwe_zip_unsupported"),
    "crit": (lambda t: _header(t, crit=["exp"], exp=1), "crit_unsupported"),
    "kid-not-a-string": (lambda t: _header(t, kid=7), "jwe_malformed"),
    "apu-not-a-string": (lambda t: _header(t, apu=1), "jwe_malformed"),
    "apu-bad-base64": (lambda t: _header(t, apu="a="), "bad_base64"),
    "unknown-kid": (lambda t: _header(t, kid="someone-else"), "jwe_key_not_found"),
    "kid-of-rsa-key": (lambda t: _header(t, kid="rsa-2048-enc"), "jwe_key_not_found"),
    "kid-of-key-restricted-to-ecdh-es": (lambda t: _header(t, kid="ec-p256-enc-b"),
                                         "jwe_key_not_found"),
    "jwk-header-ignored": (lambda t: _header(t, kid="x", jwk=PUBLIC["ec-p256-enc"]),
                           "jwe_key_not_found"),
    "no-epk": (lambda t: _header(t, epk=DROP), "jwe_invalid_epk"),
    "epk-not-an-object": (lambda t: _header(t, epk="key"), "jwe_invalid_epk"),
    "epk-unknown-curve": (lambda t: _epk(t, crv="P-192"), "jwe_invalid_epk"),
    "epk-kty-mismatch": (lambda t: _epk(t, kty="OKP"), "jwe_invalid_epk"),
    "epk-off-curve": (_off_curve, "jwe_invalid_epk"),
    "epk-on-another-curve": (_p384_point, "jwe_invalid_epk"),
    "epk-short-x": (lambda t: _epk(t, x="AAAA"), "jwe_invalid_epk"),
    "epk-padded-x": (lambda t: _epk(t, x="A" * 43 + "="), "jwe_invalid_epk"),
    "epk-with-private-part": (lambda t: _epk(t, d=PRIVATE["ec-p256-enc"]["d"]), "jwe_invalid_epk"),
    "empty-encrypted-key": (lambda t: _segment(t, 1, ""), "jwe_malformed"),
    "short-iv": (lambda t: _segment(t, 2, "AAAA"), "jwe_malformed"),
    "empty-tag": (lambda t: _segment(t, 4, ""), "jwe_malformed"),
    "truncated-tag": (lambda t: _segment(t, 4, b64url_encode(b64url_decode(
        t.split(".")[4], "t")[:15])), "jwe_malformed"),
    "long-tag": (lambda t: _segment(t, 4, b64url_encode(bytes(17))), "jwe_malformed"),
    "modified-encrypted-key": (lambda t: _flip(t, 1), "jwe_decryption_failed"),
    "modified-iv": (lambda t: _flip(t, 2), "jwe_decryption_failed"),
    "modified-ciphertext": (lambda t: _flip(t, 3), "jwe_decryption_failed"),
    "modified-tag": (lambda t: _flip(t, 4), "jwe_decryption_failed"),
    "modified-header": (lambda t: _header(t, typ="JWT"), "jwe_decryption_failed"),
    "swapped-header": (lambda t: _segment(t, 0, seal().split(".")[0]), "jwe_decryption_failed"),
}


@pytest.mark.parametrize("name", FAILURES)
def test_failure(name: str) -> None:
    mutate, code = FAILURES[name]
    with pytest.raises(TokenError) as err:
        decrypt_jwe(mutate(seal()), KEYS)
    assert err.value.code == code


DIRECT_FAILURES: dict[str, tuple[str, Mutation, str]] = {
    # RFC 7516 §5.2 step 10: direct key agreement has an empty encrypted key.
    "ecdh-es-with-encrypted-key": ("ec-p256-enc",
                                   lambda t: _segment(t, 1, "AAAA"), "jwe_malformed"),
    "no-kid-two-keys-fit": ("ec-p256-enc", lambda t: _header(t, kid=DROP), "ambiguous_key"),
    "x25519-low-order-point": ("x25519-enc", lambda t: _epk(t, x=b64url_encode(bytes(32))),
                               "jwe_invalid_epk"),
    "x25519-short-point": ("x25519-enc", lambda t: _epk(t, x="AAAA"), "jwe_invalid_epk"),
    "cbc-partial-block": ("ec-p256-enc", lambda t: _segment(t, 3, "AAAA"), "jwe_malformed"),
}


@pytest.mark.parametrize("name", DIRECT_FAILURES)
def test_direct_agreement_failure(name: str) -> None:
    kid, mutate, code = DIRECT_FAILURES[name]
    enc = "A128CBC-HS256" if name.startswith("cbc") else "A256GCM"
    with pytest.raises(TokenError) as err:
        decrypt_jwe(mutate(seal("ECDH-ES", enc, kid)), KEYS)
    assert err.value.code == code


def test_every_decryption_failure_reads_the_same() -> None:
    messages = set()
    for mutate, code in FAILURES.values():
        if code == "jwe_decryption_failed":
            with pytest.raises(TokenError) as err:
                decrypt_jwe(mutate(seal()), KEYS)
            messages.add(str(err.value))
    assert messages == {"jwe_decryption_failed: the token could not be decrypted"}


def test_a_long_header_within_the_size_cap_decrypts() -> None:
    # joserfc alone would refuse a protected header over 1 KiB; our cap is the whole token's.
    token = seal(typ="x" * 2000)
    assert decrypt_jwe(token, KEYS).plaintext == SECRET


def test_the_size_cap_is_the_callers() -> None:
    with pytest.raises(TokenError) as err:
        decrypt_jwe(seal(), KEYS, max_size=100)
    assert err.value.code == "too_large"


def test_the_callers_allow_list_narrows() -> None:
    with pytest.raises(TokenError) as err:
        decrypt_jwe(seal(enc="A128CBC-HS256"), KEYS, enc_values=["A256GCM"])
    assert err.value.code == "jwe_unsupported_algorithm"


def test_an_allow_list_cannot_add_an_unsupported_algorithm() -> None:
    with pytest.raises(TokenError) as err:
        decrypt_jwe(_header(seal(), alg="RSA1_5"), KEYS, alg_values=["RSA1_5"])
    assert err.value.code == "jwe_unsupported_algorithm"


# --- the caller's keys ---------------------------------------------------------------------

SIGNING_KEY: Final = json.loads(
    (ROOT / "fixtures/keys/test-signing-keys.json").read_text())["keys"][2]  # ec-p256, use sig


def test_a_signing_key_is_skipped_with_its_reason() -> None:
    keys = DecryptionKeys.from_jwks({"keys": [*DOC["keys"], SIGNING_KEY]})
    with pytest.raises(TokenError) as err:
        decrypt_jwe(_header(seal(), kid="ec-p256"), keys)
    assert err.value.code == "jwe_key_not_found"
    assert "use is 'sig'" in err.value.message


def test_a_single_private_jwk_is_a_key_set() -> None:
    assert decrypt_jwe(seal(), PRIVATE["ec-p256-enc"]).plaintext == SECRET


BAD_KEY_SETS: dict[str, Any] = {
    "not-an-object": [PRIVATE["ec-p256-enc"]],
    "keys-not-a-list": {"keys": PRIVATE["ec-p256-enc"]},
    "member-not-an-object": {"keys": ["ec"]},
    "no-kty": {"keys": [{"crv": "P-256"}]},
    "duplicate-kid": {"keys": [PRIVATE["ec-p256-enc"], PRIVATE["ec-p256-enc"]]},
    "public-keys-only": {"keys": list(PUBLIC.values())},
    "only-a-signing-key": {"keys": [SIGNING_KEY]},
    "bad-private-value": {"keys": [{**PRIVATE["ec-p256-enc"], "d": "AAAA"}]},
    "kid-not-printable": {"keys": [{**PRIVATE["ec-p256-enc"], "kid": "\n"}]},
}


@pytest.mark.parametrize("name", BAD_KEY_SETS)
def test_a_bad_key_set_is_the_callers_mistake(name: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        DecryptionKeys.from_jwks(BAD_KEY_SETS[name])
    assert err.value.code == "invalid_decryption_key"


# --- nested ID tokens (OIDC Core §10.2) ----------------------------------------------------

def test_signed_then_encrypted_id_token(mint: Mint, jwks: dict[str, Any]) -> None:
    token = seal(plaintext=mint().encode(), cty="JWT")
    claims = verify_encrypted_id_token(token, decryption_keys=KEYS, issuer=ISSUER,
                                       audience=CLIENT, jwks=jwks, nonce=NONCE, now=NOW)
    assert claims["aud"] == CLIENT


def test_inner_token_is_verified(mint: Mint, jwks: dict[str, Any]) -> None:
    token = seal(plaintext=mint(aud="another-portal").encode(), cty="JWT")
    with pytest.raises(TokenError) as err:
        verify_encrypted_id_token(token, decryption_keys=KEYS, issuer=ISSUER, audience=CLIENT,
                                  jwks=jwks, nonce=NONCE, now=NOW)
    assert err.value.code == "invalid_audience"


@pytest.mark.parametrize(("cty", "plaintext"), [
    (None, b"a.b.c"), ("json", b"a.b.c"), ("JWT", "Nguyễn".encode())])
def test_not_a_nested_jwt(cty: str | None, plaintext: bytes) -> None:
    token = seal(plaintext=plaintext, **({"cty": cty} if cty else {}))
    with pytest.raises(TokenError) as err:
        decrypt_nested_jwt(token, KEYS)
    assert err.value.code == "jwe_not_nested"


@pytest.mark.parametrize("cty", ["JWT", "jwt", "application/jwt"])
def test_cty_compares_as_a_media_type(cty: str) -> None:
    assert decrypt_nested_jwt(seal(plaintext=b"a.b.c", cty=cty), KEYS) == "a.b.c"


# --- encryption refuses what decryption would ----------------------------------------------

BAD_ENCRYPTION_KEYS: dict[str, tuple[Any, str]] = {
    "private-key": (PRIVATE["ec-p256-enc"], "ECDH-ES"),
    "signing-key": (public_jwk(SIGNING_KEY), "ECDH-ES"),
    "rsa-key-for-ecdh": (PUBLIC["rsa-2048-enc"], "ECDH-ES"),
    "ec-key-for-rsa": (PUBLIC["ec-p256-enc"], "RSA-OAEP-256"),
    "key-restricted-to-another-alg": (PUBLIC["ec-p256-enc-b"], "ECDH-ES+A256KW"),
    "key-ops-sign": ({**PUBLIC["ec-p256-enc"], "key_ops": ["verify"]}, "ECDH-ES"),
    "off-curve": ({**PUBLIC["ec-p256-enc"], "y": PUBLIC["ec-p256-enc"]["x"]}, "ECDH-ES"),
    "ed25519": ({"kty": "OKP", "crv": "Ed25519", "x": PUBLIC["x25519-enc"]["x"]}, "ECDH-ES"),
    "not-an-object": ("key", "ECDH-ES"),
}


@pytest.mark.parametrize("name", BAD_ENCRYPTION_KEYS)
def test_encryption_refuses_a_bad_key(name: str) -> None:
    key, alg = BAD_ENCRYPTION_KEYS[name]
    with pytest.raises(ConfigurationError) as err:
        encrypt_jwe(SECRET, key, alg=alg)
    assert err.value.code == "invalid_encryption_key"


@pytest.mark.parametrize(("alg", "enc"), [("RSA1_5", "A256GCM"), ("dir", "A256GCM"),
                                          ("ECDH-ES", "A192GCM")])
def test_encryption_refuses_an_unsupported_algorithm(alg: str, enc: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        encrypt_jwe(SECRET, PUBLIC["ec-p256-enc"], alg=alg, enc=enc)
    assert err.value.code == "unsupported_jwe_algorithm"


def test_encryption_jwk_passes_over_keys_that_do_not_fit() -> None:
    client_jwks = {"keys": [public_jwk(SIGNING_KEY), PUBLIC["ec-p256-enc-b"],
                            PUBLIC["rsa-2048-enc"], PUBLIC["ec-p256-enc"]]}
    assert encryption_jwk(client_jwks, "ECDH-ES+A256KW")["kid"] == "ec-p256-enc"
    assert encryption_jwk(client_jwks, "ECDH-ES")["kid"] == "ec-p256-enc-b"
    assert encryption_jwk(client_jwks, "RSA-OAEP-256")["kid"] == "rsa-2048-enc"


@pytest.mark.parametrize("jwks", [{"keys": [public_jwk(SIGNING_KEY)]}, {"keys": "x"}, {}])
def test_encryption_jwk_without_a_fitting_key(jwks: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as err:
        encryption_jwk(jwks, "ECDH-ES")
    assert err.value.code == "invalid_encryption_key"


# --- arbitrary input -----------------------------------------------------------------------

B64: Final = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     max_size=60)
JSON_VALUES: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, min_size=1, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, min_size=1, max_size=3), max_leaves=8)
HEADERS: Final = st.fixed_dictionaries(
    {"alg": st.sampled_from([*sorted(SUPPORTED_ALG_VALUES), "RSA1_5", "dir"]) | JSON_VALUES,
     "enc": st.sampled_from(sorted(SUPPORTED_ENC_VALUES)) | JSON_VALUES},
    optional={"kid": st.sampled_from(sorted(PRIVATE)) | JSON_VALUES,
              "epk": st.fixed_dictionaries({"kty": st.sampled_from(["EC", "OKP"]),
                                            "crv": st.sampled_from(["P-256", "X25519"]),
                                            "x": B64, "y": B64}) | JSON_VALUES,
              "apu": B64 | JSON_VALUES, "zip": JSON_VALUES})


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200),
                 st.lists(B64, min_size=5, max_size=5).map(".".join),
                 st.tuples(HEADERS, st.lists(B64, min_size=4, max_size=4)).map(
                     lambda hp: ".".join([b64url_encode(json.dumps(hp[0]).encode()), *hp[1]]))))
def test_arbitrary_input_only_raises_token_error(token: str | bytes) -> None:
    # Anything else (ValueError, KeyError, a joserfc error) fails the test.
    with contextlib.suppress(TokenError):
        decrypt_jwe(token, KEYS, alg_values=ALL_ALGS)
