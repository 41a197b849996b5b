"""Loader for the external JOSE test vectors in ``<shared>/vectors`` (read in place, never copied).

The vector files are data from upstream projects (Project Wycheproof, RFC 7520's machine-readable
cookbook, RFC 7515 appendix A); this module only reads them and reshapes them into small records
the tests parametrize over. Test parameters are built at collection time, before fixtures exist,
so the directory is found here with the same rule as the ``shared_dir`` fixture of
``tests/conftest.py`` (``$EID_SHARED_DIR``, default ``<repo>/../shared``); each test still requests
that fixture, which skips locally and fails in CI when the data is missing.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import pytest

__all__ = [
    "JwsVector",
    "PrimitiveVector",
    "load",
    "primitive_vectors",
    "public_jwk",
    "require_vectors",
    "shared_vectors_dir",
    "token_alg",
    "wycheproof_jws_vectors",
]

_REPO: Final = Path(__file__).resolve().parents[2]

# RFC 7518 §6.2.2, §6.3.2, §6.4.1: members only a private or secret key has.
PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

#: Primitive vector files and the JWS algorithm whose signature encoding each uses.
PRIMITIVE_FILES: Final = {
    "ecdsa_secp256r1_sha256_p1363_test.json": "ES256",  # R || S, RFC 7518 §3.4
    "ed25519_test.json": "EdDSA",  # RFC 8037 §3.1
    "rsa_signature_2048_sha256_test.json": "RS256",  # RFC 7518 §3.3
    "rsa_pss_2048_sha256_mgf1_32_test.json": "PS256",  # RFC 7518 §3.5 (salt = 32)
}


def shared_vectors_dir() -> Path | None:
    """``<shared>/vectors`` when it exists, else ``None`` (tests then skip, or fail in CI)."""
    root = Path(os.environ.get("EID_SHARED_DIR") or _REPO.parent / "shared")
    path = root / "vectors"
    return path if path.is_dir() else None


def require_vectors() -> Path:
    """``<shared>/vectors``, or skip the test (fail it when ``CI`` is set) when it is missing."""
    path = shared_vectors_dir()
    if path is None:
        message = "test vectors not found under $EID_SHARED_DIR/vectors (default ../shared)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@cache
def load(relative: str) -> Any:
    """Parse one JSON file under ``<shared>/vectors``."""
    base = shared_vectors_dir()
    if base is None:
        raise FileNotFoundError("the shared vectors directory is missing")
    return json.loads((base / relative).read_text(encoding="utf-8"))


def public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    """``jwk`` without its private members (the verifier refuses key sets that have any)."""
    return {name: value for name, value in jwk.items() if name not in PRIVATE_MEMBERS}


def token_alg(token: str) -> str | None:
    """The ``alg`` a compact token's header names, read leniently; ``None`` when unreadable.

    Only used to classify a vector (supported algorithm or not), never to verify: a JSON
    serialization and a header that does not decode at all both give ``None``.
    """
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):
        return None
    alg = header.get("alg") if isinstance(header, dict) else None
    return alg if isinstance(alg, str) else None


@dataclass(frozen=True, slots=True)
class JwsVector:
    """One Wycheproof JWS test: a compact token and the keys it is checked against."""

    suite: str  # "jws" (json_web_signature_test) or "jwk" (json_web_key_test)
    tc_id: int
    comment: str
    flags: tuple[str, ...]
    token: str
    result: str  # "valid", "invalid" (or "acceptable")
    jwks: dict[str, Any]  # the group's "public" member (or "private" when that is all there is)
    key_alg: str | None  # the group key's own "alg", used when the token's header is unreadable

    @property
    def alg(self) -> str | None:
        """The algorithm the vector exercises: the token's ``alg``, else the group key's."""
        if self.token.lstrip().startswith("{"):
            return None  # JSON serialization
        return token_alg(self.token) or self.key_alg

    @property
    def test_id(self) -> str:
        return f"{self.suite}-tc{self.tc_id}"


def _as_jwks(value: dict[str, Any]) -> dict[str, Any]:
    return value if "keys" in value else {"keys": [value]}


def wycheproof_jws_vectors(filename: str, suite: str) -> list[JwsVector]:
    """Every test of a Wycheproof ``json_web_signature``/``json_web_key`` file."""
    doc = load(f"wycheproof/{filename}")
    vectors = []
    for group in doc["testGroups"]:
        jwks = _as_jwks(group["public"] if "public" in group else group["private"])
        key_alg = jwks["keys"][0].get("alg") if jwks["keys"] else None
        for test in group["tests"]:
            vectors.append(JwsVector(
                suite=suite, tc_id=test["tcId"], comment=test["comment"],
                flags=tuple(test["flags"]), token=test["jws"], result=test["result"],
                jwks=jwks, key_alg=key_alg,
            ))
    return vectors


@dataclass(frozen=True, slots=True)
class PrimitiveVector:
    """One Wycheproof raw signature test: a message, a signature and the group's public key."""

    file: str
    alg: str
    group: int
    tc_id: int
    comment: str
    flags: tuple[str, ...]
    jwk: dict[str, Any]  # built from the group's raw public key
    upstream_jwk: dict[str, Any] | None  # the group's own JWK, when it has one
    msg: bytes
    sig: bytes
    result: str

    @property
    def test_id(self) -> str:
        return f"{self.alg.lower()}-g{self.group}-tc{self.tc_id}"


def _b64(value: int, length: int | None = None) -> str:
    raw = value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwk_of(alg: str, key: dict[str, Any]) -> dict[str, Any]:
    # RFC 7518 §6.2.1 (EC coordinates padded to the field size), §6.3.1 (RSA
    # integers without leading zeros), RFC 8037 §2 (OKP "x" is the raw key).
    if alg == "ES256":
        return {"kty": "EC", "crv": "P-256", "x": _b64(int(key["wx"], 16), 32),
                "y": _b64(int(key["wy"], 16), 32)}
    if alg == "EdDSA":
        return {"kty": "OKP", "crv": "Ed25519",
                "x": base64.urlsafe_b64encode(bytes.fromhex(key["pk"])).rstrip(b"=").decode()}
    return {"kty": "RSA", "n": _b64(int(key["modulus"], 16)),
            "e": _b64(int(key["publicExponent"], 16))}


def primitive_vectors() -> list[PrimitiveVector]:
    """Every test of the four raw-primitive files, each with a JWK for its group's key."""
    vectors = []
    for filename, alg in PRIMITIVE_FILES.items():
        doc = load(f"wycheproof/primitives/{filename}")
        for index, group in enumerate(doc["testGroups"]):
            jwk = _jwk_of(alg, group["publicKey"])
            upstream = group.get("publicKeyJwk") or group.get("keyJwk")
            for test in group["tests"]:
                vectors.append(PrimitiveVector(
                    file=filename, alg=alg, group=index, tc_id=int(test["tcId"]),
                    comment=test["comment"], flags=tuple(test["flags"]), jwk=jwk,
                    upstream_jwk=upstream, msg=bytes.fromhex(test["msg"]),
                    sig=bytes.fromhex(test["sig"]), result=test["result"],
                ))
    return vectors
