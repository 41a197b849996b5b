"""Fixtures shared by every test package."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import PostgresServer, postgres_server


# --- shared reference data ---------------------------------------------------
# The reference CSVs (domain facts) live outside the repository and are read in
# place, never copied in. Locally a missing directory skips the tests that need
# it; in CI (``CI`` set) it fails them, so a misconfigured runner cannot go green
# by skipping.
@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the shared data directory (``$EID_SHARED_DIR``, default ``<repo>/../shared``)."""
    default = Path(__file__).resolve().parent.parent.parent / "shared"
    path = Path(os.environ.get("EID_SHARED_DIR") or default)
    if not (path / "domain").is_dir():
        message = f"shared data not found at {path}; set EID_SHARED_DIR"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- PostgreSQL ---------------------------------------------------------------
# One server for the whole run (initdb takes a second); each test that asks gets a
# fresh database, so tests stay independent.
@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The run's PostgreSQL server (started on first use)."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """The URL of a new, empty database on the run's server."""
    return postgres.create_database(f"test_{next(_DATABASES)}")


_DATABASES = itertools.count(1)
