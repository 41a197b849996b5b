"""The login service under Flask's test client, with fresh state for every test.

Signing keys are generated once per session (RSA 3072 is slow) in a template
database that each test copies, so consents and grants never leak between tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.config import Settings
from tests.servers import signing_keys_template
from tests.service.flow import Flow


@pytest.fixture(scope="session")
def keys_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signing_keys_template(tmp_path_factory.mktemp("keys") / "template.sqlite")


@pytest.fixture
def settings(keys_db: Path, tmp_path: Path) -> Settings:
    db = tmp_path / "eid.sqlite"
    shutil.copy(keys_db, db)
    return Settings(instance=tmp_path, durable_path=str(db), test_mode=False)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "EID_SETTINGS": settings})


@pytest.fixture
def test_mode_app(settings: Settings) -> Flask:
    return create_app({"TESTING": True, "EID_SETTINGS": settings.with_(test_mode=True)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def flow(app: Flask) -> Flow:
    return Flow(app)
