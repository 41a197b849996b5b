"""The pytest plugin (registered through the ``pytest11`` entry point as ``eid``).

Fixtures:

* ``eid_identities`` – the fixture citizens (a registry; session-scoped);
* ``eid_issuer`` – a fresh in-process :class:`TestIssuer` with its own keys;
* ``eid_mint`` – ``eid_mint(persona, audience=..., fault=..., **claims)`` → an ID token;
* ``eid_jwks_server`` – the issuer's discovery + JWKS on a loopback port, with faults.

Framework-free, like the rest of :mod:`eid.testing`. The mock login service's
fixture ``eid_mock_service`` lives with the service (``service.pytest_plugin``,
registered by its own ``pytest11`` entry point; it needs ``eid[service]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Imported lazily inside the fixtures: this module loads in every pytest run of
# a project that installs eid, and must cost nothing until a fixture is used.
if TYPE_CHECKING:
    from eid.population.registry import Registry
    from eid.testing.issuer import TestIssuer
    from eid.testing.jwks_server import JwksServer

__all__ = ["eid_identities", "eid_issuer", "eid_jwks_server", "eid_mint"]

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
