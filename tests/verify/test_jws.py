"""The signature layer: format, headers, algorithms and key selection."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from eid.errors import ConfigurationError, TokenError
from eid.signing import SigningKey, public_jwks
from eid.verify import KeySet, verify_jws
from eid.verify._codec import b64url_decode, b64url_encode
from tests.verify.conftest import Mint

Raw = Callable[..., str]
HEADER = {"alg": "ES256", "kid": "ec-p256"}
PAYLOAD = {"sub": "x"}


def code_of(token: Any, jwks: Any) -> str:
    with pytest.raises(TokenError) as err:
        verify_jws(token, jwks)
    return err.value.code


@pytest.mark.parametrize("kid", ["rsa-2048", "rsa-2048-b", "ec-p256", "ec-p256-b", "ed25519"])
def test_each_algorithm_verifies(mint: Mint, keyset: KeySet, kid: str) -> None:
    header, payload = verify_jws(mint(kid=kid), keyset)
    assert header["kid"] == kid
    assert json.loads(payload)["iss"] == "https://login.eid.test"


def test_fully_specified_ed25519_name_verifies(mint_raw: Raw, keyset: KeySet) -> None:
    token = mint_raw({"alg": "Ed25519", "kid": "ed25519"}, PAYLOAD, kid="ed25519")
    assert verify_jws(token, keyset)[1] == json.dumps(PAYLOAD).encode()


def test_a_plain_jwks_dict_works_and_bytes_tokens_too(mint: Mint, jwks: dict[str, Any]) -> None:
    token = mint()
    assert verify_jws(token.encode(), jwks)[0]["alg"] == "ES256"


def test_returned_header_is_a_copy(mint: Mint, keyset: KeySet) -> None:
    token = mint()
    verify_jws(token, keyset)[0]["alg"] = "none"
    assert verify_jws(token, keyset)[0]["alg"] == "ES256"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "not_a_string"),
        (12, "not_a_string"),
        ("", "malformed"),
        ("a.b", "malformed"),
        ("a.b.c.d", "malformed"),
        ("a.b.c.d.e", "jwe_not_supported"),
        ("x" * 20_000, "too_large"),
        (b"\xff.a.b", "malformed"),
        ("é.a.b", "bad_base64"),
        ("eyJhbGciOiJFUzI1NiJ9=.e30.AA", "bad_base64"),
    ],
)
def test_format_failures(token: Any, code: str, keyset: KeySet) -> None:
    assert code_of(token, keyset) == code


def test_size_cap_is_configurable(mint: Mint, keyset: KeySet) -> None:
    token = mint()
    with pytest.raises(TokenError) as err:
        verify_jws(token, keyset, max_size=len(token) - 1)
    assert err.value.code == "too_large"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"alg": "none"}, "alg_none"),
        ({"alg": "HS256", "kid": "ec-p256"}, "unsupported_algorithm"),
        ({"alg": "ES384", "kid": "ec-p256"}, "unsupported_algorithm"),
        ({"alg": "es256", "kid": "ec-p256"}, "unsupported_algorithm"),
        ({"kid": "ec-p256"}, "unsupported_algorithm"),
        ({"alg": ["ES256"], "kid": "ec-p256"}, "unsupported_algorithm"),
        ({**HEADER, "crit": ["exp"], "exp": 1}, "crit_unsupported"),
        ({**HEADER, "b64": False}, "b64_unsupported"),
        ({**HEADER, "cty": "JWT"}, "nested_token"),
        ({**HEADER, "cty": "application/jwt"}, "nested_token"),
        ({"alg": "ES256", "kid": 7}, "bad_header"),
    ],
)
def test_header_failures(header: dict[str, Any], code: str, mint_raw: Raw, keyset: KeySet) -> None:
    assert code_of(mint_raw(header, PAYLOAD), keyset) == code


def test_unsigned_token_is_rejected(keyset: KeySet) -> None:
    token = b64url_encode(b'{"alg":"none"}') + "." + b64url_encode(b"{}") + "."
    assert code_of(token, keyset) == "alg_none"


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c"])
def test_header_key_hints_never_supply_a_key(
    member: str, mint_raw: Raw, signing_keys: dict[str, SigningKey], keyset: KeySet
) -> None:
    # Signed by a key outside the trusted set that the header itself offers.
    attacker = signing_keys["ec-p256-b"]
    hint: Any = {
        "jwk": {k: v for k, v in attacker.public_jwk.items() if k != "kid"},
        "jku": "https://attacker.example/jwks",
        "x5u": "https://attacker.example/cert",
        "x5c": ["MIIB"],
    }[member]
    token = mint_raw({"alg": "ES256", "kid": "ec-p256", member: hint}, PAYLOAD, kid="ec-p256-b")
    assert code_of(token, keyset) == "bad_signature"


def test_hs256_signed_with_the_public_key_is_rejected(jwks: dict[str, Any]) -> None:
    # The classic algorithm-confusion attack (RFC 8725 §2.1).
    import hashlib
    import hmac

    pub = json.dumps(jwks["keys"][0]).encode()
    signing_input = b64url_encode(b'{"alg":"HS256","kid":"rsa-2048"}') + "." + b64url_encode(b"{}")
    sig = hmac.new(pub, signing_input.encode(), hashlib.sha256).digest()
    assert code_of(signing_input + "." + b64url_encode(sig), jwks) == "unsupported_algorithm"


def _resign(token: str, mutate: Callable[[bytes], bytes]) -> str:
    head, body, sig = token.split(".")
    return f"{head}.{body}.{b64url_encode(mutate(b64url_decode(sig, 's')))}"


@pytest.mark.parametrize("kid", ["rsa-2048", "rsa-2048-b", "ec-p256", "ed25519"])
@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s[:-1],
        lambda s: s + b"\x00",
        lambda s: b"\x00" + s,
        lambda s: bytes([s[0] ^ 1]) + s[1:],
        lambda s: s[:-1] + bytes([s[-1] ^ 0x80]),
        lambda s: b"",
    ],
    ids=["truncated", "extended", "prefixed", "first-bit", "last-bit", "empty"],
)
def test_tampered_signatures_fail(
    kid: str, mutate: Callable[[bytes], bytes], mint: Mint, keyset: KeySet
) -> None:
    assert code_of(_resign(mint(kid=kid), mutate), keyset) == "bad_signature"


def test_tampered_payload_fails(mint: Mint, keyset: KeySet) -> None:
    head, _body, sig = mint().split(".")
    forged = b64url_encode(b'{"iss":"https://login.eid.test","sub":"someone-else"}')
    assert code_of(f"{head}.{forged}.{sig}", keyset) == "bad_signature"


P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 0), (0, 1), (1, 0), (P256_N, 1), (1, P256_N), (P256_N + 1, 1)],
    ids=["zero", "r=0", "s=0", "r=n", "s=n", "r=n+1"],
)
def test_ecdsa_r_and_s_must_be_in_range(r: int, s: int, mint: Mint, keyset: KeySet) -> None:
    head, body, _ = mint().split(".")
    raw = r.to_bytes(33, "big")[-32:] + s.to_bytes(33, "big")[-32:]
    assert code_of(f"{head}.{body}.{b64url_encode(raw)}", keyset) == "bad_signature"


def test_ecdsa_der_signature_is_rejected(
    mint: Mint, keyset: KeySet, signing_keys: dict[str, SigningKey]
) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    head, body, _ = mint().split(".")
    der = signing_keys["ec-p256"].key.sign(f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    assert code_of(f"{head}.{body}.{b64url_encode(der)}", keyset) == "bad_signature"


@pytest.mark.parametrize(
    ("header", "kid", "code"),
    [
        ({"alg": "ES256", "kid": "nope"}, "ec-p256", "unknown_kid"),
        ({"alg": "RS256", "kid": "ec-p256"}, "ec-p256", "key_mismatch"),
        ({"alg": "EdDSA", "kid": "rsa-2048"}, "ed25519", "key_mismatch"),
        ({"alg": "ES256"}, "ec-p256", "ambiguous_key"),
    ],
)
def test_key_selection_failures(
    header: dict[str, Any], kid: str, code: str, mint_raw: Raw, keyset: KeySet
) -> None:
    assert code_of(mint_raw(header, PAYLOAD, kid=kid), keyset) == code


def test_token_without_kid_uses_the_only_fitting_key(
    mint_raw: Raw, signing_keys: dict[str, SigningKey]
) -> None:
    keys = KeySet.from_jwks(public_jwks([signing_keys["ec-p256"], signing_keys["rsa-2048"]]))
    assert verify_jws(mint_raw({"alg": "ES256"}, PAYLOAD), keys)[1] == b'{"sub": "x"}'


def test_no_fitting_key_without_kid(mint_raw: Raw, signing_keys: dict[str, SigningKey]) -> None:
    keys = KeySet.from_jwks(public_jwks([signing_keys["rsa-2048"]]))
    assert code_of(mint_raw({"alg": "ES256"}, PAYLOAD), keys) == "no_matching_key"


@pytest.mark.parametrize(("jwk_alg", "token_alg", "ok"), [
    ("RS256", "RS256", True),
    ("RS256", "PS256", False),
    ("PS256", "RS256", False),
])
def test_jwk_alg_restricts_the_key(
    jwk_alg: str, token_alg: str, ok: bool, signing_keys: dict[str, SigningKey]
) -> None:
    rsa = signing_keys["rsa-2048"]
    signer = SigningKey.from_jwk({**_private(rsa), "alg": token_alg})
    keys = KeySet.from_jwks({"keys": [{**rsa.public_jwk, "alg": jwk_alg}]})
    token = f"{b64url_encode(json.dumps({'alg': token_alg, 'kid': 'rsa-2048'}).encode())}.e30"
    token = token + "." + b64url_encode(signer.sign(token.encode()))
    if ok:
        assert verify_jws(token, keys)[1] == b"{}"
    else:
        assert code_of(token, keys) == "key_mismatch"


def _private(key: SigningKey) -> dict[str, Any]:
    from tests.verify.conftest import ROOT

    doc = json.loads((ROOT / "fixtures/keys/test-signing-keys.json").read_text())
    return next(k for k in doc["keys"] if k["kid"] == key.kid)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("jwk_alg", "token_alg"), [("EdDSA", "Ed25519"), ("Ed25519", "EdDSA")])
def test_eddsa_and_ed25519_names_are_one_algorithm(
    jwk_alg: str, token_alg: str, mint_raw: Raw, signing_keys: dict[str, SigningKey]
) -> None:
    keys = KeySet.from_jwks({"keys": [{**signing_keys["ed25519"].public_jwk, "alg": jwk_alg}]})
    token = mint_raw({"alg": token_alg, "kid": "ed25519"}, PAYLOAD, kid="ed25519")
    assert verify_jws(token, keys)[0]["alg"] == token_alg


def test_payload_need_not_be_json(mint_raw: Raw, keyset: KeySet) -> None:
    # verify_jws serves tokens that are not JWTs: the payload is returned unparsed.
    assert verify_jws(mint_raw(HEADER, b"\x00\x01 not json"), keyset)[1] == b"\x00\x01 not json"


def test_mutated_jwks_dict_is_not_served_from_a_stale_parse(
    mint: Mint, jwks: dict[str, Any]
) -> None:
    mine = json.loads(json.dumps(jwks))
    token = mint()
    assert verify_jws(token, mine)
    mine["keys"] = [k for k in mine["keys"] if k["kid"] != "ec-p256"]
    assert code_of(token, mine) == "unknown_kid"


class _ClassSource:
    """A key source by its class: its methods are the protocol's."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    def key_set(self) -> KeySet:
        return self._keys

    def refresh(self) -> KeySet | None:
        return None


class _InstanceSource:
    """A key source only by its instance: the methods are attributes set at construction."""

    def __init__(self, keys: KeySet) -> None:
        self.key_set = lambda: keys
        self.refresh = lambda: None


@pytest.mark.parametrize("source", [_ClassSource, _InstanceSource])
def test_any_object_with_the_key_source_methods_is_a_key_source(
    source: Callable[[KeySet], object], mint: Mint, keyset: KeySet
) -> None:
    assert verify_jws(mint(), source(keyset))[0]["kid"] == "ec-p256"  # type: ignore[arg-type]


def test_an_object_with_only_some_key_source_methods_is_refused(
    mint: Mint, keyset: KeySet
) -> None:
    half = _InstanceSource(keyset)
    del half.refresh
    with pytest.raises(ConfigurationError) as err:
        verify_jws(mint(), half)
    assert err.value.code == "invalid_jwks_argument"
