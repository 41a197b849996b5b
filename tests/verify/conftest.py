"""Keys and token builders for the verifier tests (keys come from fixtures/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.signing import SigningKey, load_signing_keys, public_jwks, sign_segments, sign_token
from eid.verify import KeySet
from eid.verify._codec import b64url_encode

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "https://login.eid.test"
CLIENT = "portal-binh-duong"
NOW = 1_764_000_000  # 2025-11-24T16:00:00Z, a fixed clock for claim tests
NONCE = "n-0S6_WzA2Mj"

Mint = Callable[..., str]
_DROP = object()
#: Pass as a claim value to leave the claim out.
DROP: Any = _DROP


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, SigningKey]:
    return load_signing_keys(ROOT / "fixtures" / "keys" / "test-signing-keys.json")


@pytest.fixture(scope="session")
def jwks(signing_keys: dict[str, SigningKey]) -> dict[str, Any]:
    return public_jwks(signing_keys)


@pytest.fixture(scope="session")
def keyset(jwks: dict[str, Any]) -> KeySet:
    return KeySet.from_jwks(jwks)


def base_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "pairwise-7f3a9c",
        "aud": CLIENT,
        "exp": NOW + 300,
        "iat": NOW,
        "auth_time": NOW - 30,
        "nonce": NONCE,
        "acr": "LoA2",
        "amr": ["pwd"],
        "sid": "s-1",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


@pytest.fixture(scope="session")
def mint(signing_keys: dict[str, SigningKey]) -> Mint:
    """``mint(kid="ec-p256", typ="JWT", headers=None, **claim_overrides) -> token``."""

    def _mint(kid: str = "ec-p256", typ: str | None = "JWT",
              headers: dict[str, Any] | None = None, **claims: Any) -> str:
        return sign_token(base_claims(**claims), signing_keys[kid], typ=typ, headers=headers)

    return _mint


@pytest.fixture(scope="session")
def mint_raw(signing_keys: dict[str, SigningKey]) -> Callable[..., str]:
    """Sign arbitrary header/payload bytes (or objects) exactly as given."""

    def _raw(header: Any, payload: Any, kid: str = "ec-p256") -> str:
        def enc(part: Any) -> str:
            if isinstance(part, str):
                return part  # already a segment
            raw = part if isinstance(part, bytes) else json.dumps(part).encode()
            return b64url_encode(raw)

        return sign_segments(enc(header), enc(payload), signing_keys[kid])

    return _raw
