"""Published JWE vectors through :func:`eid.verify.decrypt_jwe`.

* Project Wycheproof ``json_web_encryption_test.json`` (``<shared>/vectors/wycheproof``): a
  vector is *supported* when its group key's ``alg`` and its ``enc`` are both supported here.
  A supported valid vector must decrypt to its plaintext; a supported invalid one must be
  rejected with the code :func:`expected_code` names. Unsupported vectors are skipped with the
  reason, and one test checks that every one of them is refused all the same and counts them.
* RFC 7520 §5 and §6 (``<shared>/vectors/jose-cookbook``, the machine-readable cookbook) and the
  X25519 ECDH-ES example: the compact examples this module supports decrypt to ``input.plaintext``,
  the others are refused with ``jwe_unsupported_algorithm``; JSON serializations are not compact
  JWE (``jwe_malformed``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, NamedTuple

import pytest

from eid.errors import ConfigurationError
from eid.verify import (
    SUPPORTED_ALG_VALUES,
    SUPPORTED_ENC_VALUES,
    DecryptionKeys,
    TokenError,
    decrypt_jwe,
    decrypt_nested_jwt,
    verify_jws,
)
from tests.verify.vectors import load, public_jwk, require_vectors, shared_vectors_dir

ROOT = Path(__file__).resolve().parents[2]
ALL_ALGS: Final = SUPPORTED_ALG_VALUES  # RSA-OAEP is opt-in; the vectors use it


class WycheproofJwe(NamedTuple):
    tc_id: int
    comment: str
    group_alg: str
    enc: str
    token: Any  # a compact string, or a JSON serialization object
    result: str
    plaintext: bytes | None
    key: dict[str, Any]

    @property
    def supported(self) -> bool:
        return self.group_alg in SUPPORTED_ALG_VALUES and self.enc in SUPPORTED_ENC_VALUES


def _wycheproof() -> list[WycheproofJwe]:
    if shared_vectors_dir() is None:
        return []
    doc = load("wycheproof/json_web_encryption_test.json")
    return [
        WycheproofJwe(t["tcId"], t["comment"], g["private"]["alg"], t["enc"], t["jwe"],
                      t["result"], bytes.fromhex(t["pt"]) if "pt" in t else None, g["private"])
        for g in doc["testGroups"] for t in g["tests"]
    ]


VECTORS: Final = _wycheproof()


def expected_code(comment: str) -> str:
    """The code a supported invalid Wycheproof vector must earn, from what its comment says."""
    if comment == "rejectsInvalidCurvePoint":
        return "jwe_invalid_epk"  # RFC 8725 §3.4, checked before the key is used
    if comment == "rejectsMissingHeader":
        return "bad_json"  # an empty header segment is not a JSON object
    if comment.startswith("rejectsModified") and comment != "rejectsModifiedHeader":
        # tag, ciphertext, IV or encrypted key: one code for every cryptographic failure.
        return "jwe_decryption_failed"
    if comment in ("invalidAlgorithm", "OaepKeyUsedWithPkcs1_5") or "Pkcs15" in comment \
            or comment == "InvalidPadding":
        return "jwe_unsupported_algorithm"  # RSA1_5 tokens sent to an OAEP key
    # Missing or truncated segments, a misspelt "Alg": the format is wrong.
    return "jwe_malformed"


def _decrypt(vector: WycheproofJwe) -> bytes:
    token = vector.token if isinstance(vector.token, str) else json.dumps(vector.token)
    return decrypt_jwe(token, vector.key, alg_values=ALL_ALGS).plaintext


@pytest.mark.parametrize("vector", VECTORS, ids=[f"tc{v.tc_id}" for v in VECTORS])
def test_wycheproof_vector(vector: WycheproofJwe, shared_dir: Path) -> None:
    if not vector.supported:
        pytest.skip(f"{vector.group_alg} with {vector.enc} is not supported")
    if vector.result == "valid":
        assert _decrypt(vector) == vector.plaintext
    else:
        with pytest.raises(TokenError) as err:
            _decrypt(vector)
        assert err.value.code == expected_code(vector.comment)


def test_every_unsupported_wycheproof_vector_is_refused(shared_dir: Path) -> None:
    require_vectors()
    refused = 0
    for vector in VECTORS:
        if vector.supported:
            continue
        # A group key that is not for decryption here (oct, RSA1_5) refuses the key set.
        with pytest.raises((TokenError, ConfigurationError)):
            _decrypt(vector)
        refused += 1
    supported = [v for v in VECTORS if v.supported]
    counts = (len(VECTORS), refused, sum(v.result == "valid" for v in supported))
    assert counts == (139, 77, 29), "the upstream file or the supported set changed"


# --- RFC 7520 -----------------------------------------------------------------------------

_JWE = "jose-cookbook/jwe/"
COOKBOOK: Final = {
    "5.1-rsa1_5": ("5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json", False),
    "5.2-rsa-oaep-a256gcm": ("5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json", True),
    "5.3-pbes2": ("5_3.key_wrap_using_pbes2-aes-keywrap_with-aes-cbc-hmac-sha2.json", False),
    "5.4-ecdh-es-a128kw-p384": (
        "5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_aes-keywrap_with_aes-gcm.json",
        True),
    "5.5-ecdh-es-p256-cbc": ("5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json", True),
    "5.6-dir": ("5_6.direct_encryption_using_aes-gcm.json", False),
    "5.7-a256gcmkw": ("5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-sha2.json", False),
    "5.8-a128kw": ("5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json", False),
    # zip=DEF, but its A128KW is refused first; test_jwe shows zip alone is refused.
    "5.9-zip-a128kw": ("5_9.compressed_content.json", False),
}
JSON_ONLY: Final = ("5_10.including_additional_authentication_data.json",
                    "5_11.protecting_specific_header_fields.json",
                    "5_12.protecting_content_only.json",
                    "5_13.encrypting_to_multiple_recipients.json")


def _fixture_keys() -> DecryptionKeys:
    doc = json.loads((ROOT / "fixtures/keys/test-encryption-keys.json").read_text())
    return DecryptionKeys.from_jwks(doc)


@pytest.mark.parametrize("name", COOKBOOK)
def test_rfc7520_compact_example(name: str, shared_dir: Path) -> None:
    require_vectors()
    file, supported = COOKBOOK[name]
    example = load(_JWE + file)
    token = example["output"]["compact"]
    if supported:
        plaintext = decrypt_jwe(token, example["input"]["key"], alg_values=ALL_ALGS).plaintext
        assert plaintext == example["input"]["plaintext"].encode("utf-8")
    else:
        # Our own keys: the example's oct keys are not decryption keys here, and the
        # algorithm rule must be what refuses the token.
        with pytest.raises(TokenError) as err:
            decrypt_jwe(token, _fixture_keys(), alg_values=ALL_ALGS)
        assert err.value.code == "jwe_unsupported_algorithm"


@pytest.mark.parametrize("form", ["json", "json_flat"])
@pytest.mark.parametrize("file", [f for f, _ in COOKBOOK.values()] + list(JSON_ONLY))
def test_rfc7520_json_serializations_are_not_compact(file: str, form: str,
                                                     shared_dir: Path) -> None:
    require_vectors()
    output = load(_JWE + file)["output"]
    if form not in output:
        pytest.skip(f"{file} has no {form} form")
    with pytest.raises(TokenError) as err:
        decrypt_jwe(json.dumps(output[form]), _fixture_keys(), alg_values=ALL_ALGS)
    assert err.value.code == "jwe_malformed"


def test_rfc7520_6_nested_token_decrypts_to_the_signed_jwt(shared_dir: Path) -> None:
    require_vectors()
    example = load("jose-cookbook/6.nesting_signatures_and_encryption.json")
    inner = decrypt_nested_jwt(example["encrypt"]["output"]["compact"],
                               example["encrypt"]["input"]["key"], alg_values=ALL_ALGS)
    assert inner == example["sign"]["output"]["compact"]
    _, payload = verify_jws(inner, {"keys": [public_jwk(example["sign"]["input"]["key"])]})
    assert payload == example["sign"]["input"]["payload"].encode()


def test_x25519_ecdh_es_example(shared_dir: Path) -> None:
    require_vectors()
    example = load("jose-cookbook/curve25519/ecdh-es.json")
    plaintext = decrypt_jwe(example["output"]["compact"], example["input"]["key"]).plaintext
    assert plaintext == example["input"]["plaintext"].encode("utf-8")
