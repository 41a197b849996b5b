"""Published JWS examples: RFC 7520 (JOSE cookbook), RFC 7797, RFC 8037 and RFC 7515 appendix A.

Read from ``<shared>/vectors/jose-cookbook`` (ietf-jose/cookbook, the machine-readable RFC 7520)
and ``<shared>/vectors/rfc/rfc7515_appendixA.json``. Each example runs through
:func:`eid.verify.verify_jws` with its own key, private members stripped (key sets holding
private material are refused whole). Examples the verifier supports must verify and yield the
published payload; every other one must be rejected with the exact :class:`TokenError` code.

Both RSA keys (RFC 7520 §3.4 "bilbo.baggins", RFC 7515 A.2) have 2048-bit moduli and e = 65537,
and both EC keys of the supported examples are on P-256, so no example is refused for key policy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, NamedTuple

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from eid.verify import KeySourceError, TokenError, verify_jws
from eid.verify._codec import b64url_decode, b64url_encode
from tests.verify.vectors import load, public_jwk, require_vectors


class Example(NamedTuple):
    file: str  # under <shared>/vectors
    form: str  # "compact", "json", "json_flat" (cookbook) or an RFC 7515 appendix-A key
    code: str | None  # None: must verify; else the TokenError code that rejects it


_41 = "jose-cookbook/jws/4_1.rsa_v15_signature.json"
_42 = "jose-cookbook/jws/4_2.rsa-pss_signature.json"
_43 = "jose-cookbook/jws/4_3.ecdsa_signature.json"
_44 = "jose-cookbook/jws/4_4.hmac-sha2_integrity_protection.json"
_45 = "jose-cookbook/jws/4_5.signature_with_detached_content.json"
_46 = "jose-cookbook/jws/4_6.protecting_specific_header_fields.json"
_47 = "jose-cookbook/jws/4_7.protecting_content_only.json"
_48 = "jose-cookbook/jws/4_8.multiple_signatures.json"
_7797 = "jose-cookbook/rfc7797/hmac-sha2_b64_false.json"
_7797_JSON = "jose-cookbook/rfc7797/4.2.hmac-sha2_b64_false.json"
_ED25519 = "jose-cookbook/curve25519/jws.json"
_7515 = "rfc/rfc7515_appendixA.json"

# The algorithm rule (RFC 8725 §3.1 allow-list) runs on the header before anything else, so an
# unsupported algorithm is what rejects HS256, PS384 and ES512 examples; JSON serializations
# (RFC 7515 §7.2) are not three dot-separated segments, hence "malformed".
JSON_SERIALIZATION: Final = "malformed"
EXAMPLES: dict[str, Example] = {
    "rfc7520-4.1-rs256": Example(_41, "compact", None),
    "rfc7520-4.2-ps384": Example(_42, "compact", "unsupported_algorithm"),
    "rfc7520-4.3-es512": Example(_43, "compact", "unsupported_algorithm"),
    "rfc7520-4.4-hs256": Example(_44, "compact", "unsupported_algorithm"),
    # Detached content (RFC 7515 appendix F): HS256 is refused first; the RS256 variant below
    # shows that an empty payload segment never verifies.
    "rfc7520-4.5-detached-hs256": Example(_45, "compact", "unsupported_algorithm"),
    # RFC 7797: the compact example's header is {"alg":"HS256","b64":false,"crit":["b64"]}; the
    # alg rule fires before the crit and b64 rules (re-signed RS256 variants below reach them).
    "rfc7797-b64-false-hs256": Example(_7797, "compact", "unsupported_algorithm"),
    "rfc8037-a4-ed25519": Example(_ED25519, "compact", None),
    "rfc7515-a1-hs256": Example(_7515, "A1", "unsupported_algorithm"),
    "rfc7515-a2-rs256": Example(_7515, "A2", None),
    "rfc7515-a3-es256": Example(_7515, "A3", None),
    "rfc7515-a4-es512": Example(_7515, "A4", "unsupported_algorithm"),
    "rfc7515-a5-none": Example(_7515, "A5", "alg_none"),
    "rfc7515-a6-json-general": Example(_7515, "A6_json_general", JSON_SERIALIZATION),
    "rfc7515-a7-json-flattened": Example(_7515, "A7_json_flattened", JSON_SERIALIZATION),
}
for _name, _file in (("4.1", _41), ("4.2", _42), ("4.3", _43), ("4.4", _44), ("4.5", _45),
                     ("4.6", _46), ("4.7", _47), ("7797-4.2", _7797_JSON), ("7797", _7797),
                     ("ed25519", _ED25519)):
    for _form in ("json", "json_flat"):
        EXAMPLES[f"rfc7520-{_name}-{_form}"] = Example(_file, _form, JSON_SERIALIZATION)
# 4.8 (several signatures) exists only in general JSON form. Its unprotected headers carry
# kid "bilbo.baggins@hobbiton.example", so the text happens to hold four dots: it is still a
# JSON serialization, not a five-segment JWE.
EXAMPLES["rfc7520-4.8-json"] = Example(_48, "json", JSON_SERIALIZATION)

# RFC 7515 appendix A: which example's key verifies the JSON serializations.
_A_KEY = {"A6_json_general": "A2", "A7_json_flattened": "A3"}


def _example(example: Example) -> tuple[str, dict[str, Any], bytes]:
    """(token, public key set, the payload the example signs)."""
    doc = load(example.file)
    if example.file == _7515:
        examples = doc["examples"]
        source = examples[_A_KEY.get(example.form, example.form)]
        token = examples[example.form]
        if isinstance(token, dict):
            token = token["compact"]
        return token, {"keys": [public_jwk(source["jwk"])]}, source["payload"].encode()
    key = doc["input"]["key"]
    # 4.8 signs with three keys that share one kid (a duplicate-kid set is refused): use the first.
    jwk = key[0] if isinstance(key, list) else key
    output = doc["output"][example.form]
    token = output if isinstance(output, str) else json.dumps(output)
    return token, {"keys": [public_jwk(jwk)]}, doc["input"]["payload"].encode()


def _outcome(token: str, jwks: dict[str, Any]) -> tuple[bytes | None, str | None]:
    try:
        _, payload = verify_jws(token, jwks)
    except (TokenError, KeySourceError) as exc:
        return None, exc.code
    return payload, None


def _require(shared_dir: Path) -> None:
    # shared_dir (tests/conftest.py) and require_vectors skip locally, and fail in CI, when the
    # data is missing.
    require_vectors()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_published_example(shared_dir: Path, name: str) -> None:
    _require(shared_dir)
    example = EXAMPLES[name]
    token, jwks, signed_payload = _example(example)
    payload, code = _outcome(token, jwks)
    if example.code is None:
        assert (payload, code) == (signed_payload, None)
    else:
        assert (payload, code) == (None, example.code)


def test_detached_content_never_verifies(shared_dir: Path) -> None:
    """RFC 7520 §4.5 with a supported algorithm: 4.1's RS256 token with its payload detached."""
    _require(shared_dir)
    token, jwks, _ = _example(EXAMPLES["rfc7520-4.1-rs256"])
    header, _, signature = token.split(".")
    assert _outcome(f"{header}..{signature}", jwks) == (None, "bad_signature")


def _rsa_private_key(jwk: dict[str, Any]) -> rsa.RSAPrivateKey:
    def num(name: str) -> int:
        return int.from_bytes(b64url_decode(jwk[name], name), "big")

    public = rsa.RSAPublicNumbers(num("e"), num("n"))
    return rsa.RSAPrivateNumbers(num("p"), num("q"), num("d"), num("dp"), num("dq"), num("qi"),
                                 public).private_key()


@pytest.mark.parametrize(("header", "code"), [
    # RFC 7797 §6 requires "crit": ["b64"]; crit is checked (and refused) first.
    pytest.param({"alg": "RS256", "b64": False, "crit": ["b64"]}, "crit_unsupported",
                 id="rfc7797-header"),
    pytest.param({"alg": "RS256", "b64": False}, "b64_unsupported", id="b64-without-crit"),
])
def test_unencoded_payload_is_rejected(shared_dir: Path, header: dict[str, Any],
                                       code: str) -> None:
    """RFC 7797's example re-signed with RS256 and RFC 7520's RSA key, so that the b64 and crit
    rules, not the algorithm, decide. The signature is valid under RFC 7797 §3 (signing input =
    protected header + "." + the raw payload)."""
    _require(shared_dir)
    doc = load(_7797)
    rsa_jwk = load(_41)["input"]["key"]
    protected = b64url_encode(json.dumps(header, separators=(",", ":")).encode())
    signing_input = f"{protected}.{doc['input']['payload']}".encode()
    signature = _rsa_private_key(rsa_jwk).sign(signing_input, padding.PKCS1v15(),
                                               hashes.SHA256())
    # Detached form (RFC 7797 §5.2): the payload contains spaces, so it cannot appear inline.
    token = f"{protected}..{b64url_encode(signature)}"
    assert _outcome(token, {"keys": [public_jwk(rsa_jwk)]}) == (None, code)
