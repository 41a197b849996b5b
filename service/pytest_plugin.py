"""The mock login service as a pytest fixture (the ``pytest11`` entry point ``eid-service``).

It lives with the service because it starts it; the library's own plugin
(:mod:`eid.testing.plugin`) keeps the fixtures that need no framework.

* ``eid_mock_service`` – the mock login service (test mode and test controls) on a
  free loopback port, fresh for each test: an :class:`eid.testing.MockService`;
* override ``eid_mock_persona``, ``eid_mock_redirect_uris`` or
  ``eid_mock_identities`` in a ``conftest.py`` to configure it;
* ``eid_mock_keys`` – the mock's signing keys, made once per session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Imported inside the fixtures: this module loads in every pytest run of a
# project that installs the service, and must cost nothing until a fixture is used.
if TYPE_CHECKING:
    from eid.testing import MockService

__all__ = ["eid_mock_identities", "eid_mock_keys", "eid_mock_persona",
           "eid_mock_redirect_uris", "eid_mock_service"]


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
    ``.rotate_keys()``, ``.reset()``, ``.state()``.
    """
    from eid.testing import MockService

    try:
        from service.app import create_app
        from service.config import Settings
        from service.serving import Server
    except ModuleNotFoundError as exc:  # the entry point is there even without the extra
        pytest.fail(f"eid_mock_service needs the login service: pip install 'eid[service]' "
                    f"({exc})", pytrace=False)

    instance = tmp_path / "eid-mock"
    instance.mkdir()
    db = instance / "eid.sqlite"
    shutil.copy(eid_mock_keys, db)
    with Server() as server:
        app = create_app({"EID_SETTINGS": Settings(
            issuer=server.url, instance=instance, durable_path=str(db),
            registry=eid_mock_identities, test_mode=True, mock=True, persona=eid_mock_persona,
            test_redirect_uris=tuple(eid_mock_redirect_uris))})
        try:
            server.mount(app).start()
            yield MockService(server.url)
        finally:
            server.close()
            app.extensions["eid"].durable.close()
