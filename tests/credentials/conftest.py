"""Keys (from fixtures/), a fixture citizen's claims and a credential factory for the
SD-JWT tests (tests/credentials and tests/verify/test_sd_jwt*.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.credentials import CITIZEN_DATA_VCT, issue_sd_jwt
from eid.population.fixtures import load_fixture_registry
from eid.prefill import claims_for
from eid.signing import SigningKey, load_signing_keys, public_jwks

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "https://login.eid.test"
PORTAL = "portal-binh-duong"
OFFICE = "https://office.thu-dau-mot.eid.test"
NOW = 1_764_000_000  # 2025-11-24T16:00:00Z
NONCE = "office-nonce-4f1c"
HOA = "074181000202"  # household A spouse: household members, spouse, children
ALL_SCOPES = ("openid", "profile", "id_number", "residence", "household", "family", "origin",
              "contact", "marital_status", "blood_type")

Issue = Callable[..., str]


@pytest.fixture(scope="session")
def signing_keys() -> dict[str, SigningKey]:
    return load_signing_keys(ROOT / "fixtures" / "keys" / "test-signing-keys.json")


@pytest.fixture(scope="session")
def issuer_key(signing_keys: dict[str, SigningKey]) -> SigningKey:
    return signing_keys["ec-p256"]


@pytest.fixture(scope="session")
def holder_key(signing_keys: dict[str, SigningKey]) -> SigningKey:
    """The portal's key, to which the credential is bound."""
    return signing_keys["ec-p256-b"]


@pytest.fixture(scope="session")
def issuer_jwks(issuer_key: SigningKey) -> dict[str, Any]:
    return public_jwks([issuer_key])


@pytest.fixture(scope="session")
def citizen_claims() -> dict[str, Any]:
    """Everything the catalogue releases about one fixture citizen (userinfo claims)."""
    registry = load_fixture_registry()
    return claims_for(registry.get(HOA), ALL_SCOPES, registry)


@pytest.fixture(scope="session")
def issue(issuer_key: SigningKey, holder_key: SigningKey,
          citizen_claims: dict[str, Any]) -> Issue:
    """``issue(claims=None, **overrides) -> SD-JWT`` with the test defaults."""

    def _issue(claims: dict[str, Any] | None = None, **overrides: Any) -> str:
        args: dict[str, Any] = {
            "key": issuer_key, "issuer": ISSUER, "vct": CITIZEN_DATA_VCT,
            "holder_jwk": holder_key.public_jwk, "iat": NOW - 60, "exp": NOW + 3600,
            "plain": {"client_id": PORTAL},
        }
        args.update(overrides)
        return issue_sd_jwt(citizen_claims if claims is None else claims, **args)

    return _issue
