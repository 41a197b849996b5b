"""The pytest plugin (registered through the ``pytest11`` entry point as ``eid``).

Fixtures:

* ``eid_identities`` – the fixture citizens (a registry; session-scoped);
* ``eid_issuer`` – a fresh in-process :class:`TestIssuer` with its own keys;
* ``eid_mint`` – ``eid_mint(persona, audience=..., fault=..., **claims)`` → an ID token;
* ``eid_jwks_server`` – the issuer's discovery + JWKS on a loopback port, with faults;
* ``eid_mock_service`` – the mock login service (test mode and test controls) on a
  free loopback port, fresh for each test: a :class:`~eid.testing.MockService`;
  override ``eid_mock_persona``, ``eid_mock_redirect_uris`` or
  ``eid_mock_identities`` in a ``conftest.py`` to configure it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Imported lazily inside the fixtures: this module loads in every pytest run of
# a project that installs eid, and must cost nothing until a fixture is used.
if TYPE_CHECKING:
    from eid.population.registry import Registry
    from eid.testing.issuer import TestIssuer
    from eid.testing.jwks_server import JwksServer
    from eid.testing.mock_service import MockService

__all__ = ["eid_identities", "eid_issuer", "eid_jwks_server", "eid_mint", "eid_mock_identities",
           "eid_mock_keys", "eid_mock_persona", "eid_mock_redirect_uris", "eid_mock_service"]

DEFAULT_AUDIENCE = "eid-test-client"


@pytest.fixture(scope="session")
def eid_identities() -> Registry:
    """The shipped fixture citizens; override it in a ``conftest.py`` for your own."""
    from eid.population.fixtures import load_fixture_registry

    return load_fixture_registry()


@pytest.fixture
def eid_issuer(eid_identities: Registry) -> TestIssuer:
    """A fresh issuer for each test (new keys: no state leaks between tests)."""
    from eid.testing.issuer import TestIssuer

    return TestIssuer(registry=eid_identities)


@pytest.fixture
def eid_mint(eid_issuer: TestIssuer) -> Callable[..., str]:
    """Mint an ID token: ``eid_mint("074078000101", nonce="n", fault="expired", acr="LoA1")``."""

    def mint(persona: str | None = None, *, audience: str = DEFAULT_AUDIENCE,
             fault: str | None = None, nonce: str | None = None, acr: str | None = None,
             **claims: Any) -> str:
        return eid_issuer.id_token(persona, audience=audience, nonce=nonce, acr=acr,
                                   claims=claims, fault=fault)

    return mint


@pytest.fixture
def eid_jwks_server(eid_issuer: TestIssuer) -> Iterator[JwksServer]:
    """The issuer published on a loopback port; ``.slow()``, ``.fail()``, ``.heal()``."""
    from eid.testing.jwks_server import JwksServer

    with JwksServer(eid_issuer) as server:
        yield server


@pytest.fixture
def eid_mock_persona() -> str | None:
    """Override to return an ID number: every login at the mock is silently that citizen."""
    return None


@pytest.fixture
def eid_mock_redirect_uris() -> list[str]:
    """Override to return your portal's callback URL(s), accepted for the test client."""
    return []


@pytest.fixture
def eid_mock_identities() -> Path | None:
    """Override to return your own identities file (format of ``fixtures/identities.json``)."""
    return None


@pytest.fixture(scope="session")
def eid_mock_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template store with the mock's signing keys, made once (RSA keys are slow to make)."""
    from eid.oidc import KeyStore
    from eid.storage import SqliteDurableStore

    path = tmp_path_factory.mktemp("eid-mock-keys") / "template.sqlite"
    store = SqliteDurableStore(path)
    KeyStore(store)
    store.close()
    return path


@pytest.fixture
def eid_mock_service(eid_mock_keys: Path, eid_mock_persona: str | None,
                     eid_mock_redirect_uris: list[str], eid_mock_identities: Path | None,
                     tmp_path: Path) -> Iterator[MockService]:
    """The mock login service on a free loopback port, with fresh state for this test.

    ``.url``/``.issuer``, ``.client_id``/``.client_secret``/``.redirect_uri``,
    ``.login(persona, scopes=..., acr=...)`` → :class:`~eid.oidc.LoginResult`,
    ``.authorize(url, persona)``, ``.inject_error(code)``, ``.inject_token_fault(name)``,
    ``.rotate_keys()``, ``.reset()``, ``.state()``. Needs the ``service`` extra (Flask).
    """
    from eid.testing.mock_service import MockService
    from service.config import Settings
    from service.mock import BackgroundServer

    instance = tmp_path / "eid-mock"
    instance.mkdir()
    db = instance / "eid.sqlite"
    shutil.copy(eid_mock_keys, db)
    server = BackgroundServer(lambda url: Settings(
        issuer=url, instance=instance, durable_path=str(db), registry=eid_mock_identities,
        test_mode=True, mock=True, persona=eid_mock_persona,
        test_redirect_uris=tuple(eid_mock_redirect_uris)))
    try:
        yield MockService(server.url)
    finally:
        server.stop()
