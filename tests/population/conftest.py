"""Shared registries for the population tests: the fixture identities and a small generated one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eid.population import (
    Registry,
    SqliteRegistry,
    default_identities_path,
    generate,
    load_citizens,
    load_fixture_registry,
)
from tests.servers import PostgresServer

#: The day the fixture ages are written for (fixtures/README.md: "Ages are as of 2026").
TODAY = dt.date(2026, 7, 1)
#: A generated registry small enough for a test run, large enough for every household shape.
GENERATED_PEOPLE = 3_000
GENERATED_SEED = "tests"


@pytest.fixture(scope="session")
def identities_path() -> Path:
    return default_identities_path()


@pytest.fixture(scope="session")
def identities(identities_path: Path) -> list[dict[str, Any]]:
    """The raw records of ``fixtures/identities.json`` (before the loader normalises them)."""
    records: list[dict[str, Any]] = json.loads(identities_path.read_text(encoding="utf-8"))[
        "citizens"
    ]
    return records


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def registry(request: pytest.FixtureRequest) -> Iterator[Registry]:
    """The fixture identities, in each registry backend: the contract runs on both."""
    if request.param == "sqlite":
        with load_fixture_registry(today=TODAY) as reg:
            yield reg
        return
    from eid.population.postgres import PostgresRegistry

    server: PostgresServer = request.getfixturevalue("postgres")
    with PostgresRegistry(server.create_database("registry_fixtures"), create=True) as pg:
        pg.add_many(load_citizens(today=TODAY))
        yield pg


@pytest.fixture(scope="session")
def generated_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "population.sqlite"
    return generate(out, people=GENERATED_PEOPLE, seed=GENERATED_SEED, workers=1)


@pytest.fixture(scope="session")
def generated(generated_path: Path) -> Iterator[SqliteRegistry]:
    with SqliteRegistry(generated_path, readonly=True) as reg:
        yield reg


@pytest.fixture(scope="session")
def generated_postgres(postgres: PostgresServer) -> Iterator[Registry]:
    """The same generated people as ``generated``, loaded into PostgreSQL."""
    from eid.population.postgres import PostgresRegistry
    from eid.population.postgres_load import generate_to_postgres

    url = postgres.create_database("registry_generated")
    generate_to_postgres(url, people=GENERATED_PEOPLE, seed=GENERATED_SEED, workers=1)
    with PostgresRegistry(url) as reg:
        yield reg


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def generated_registry(request: pytest.FixtureRequest) -> Registry:
    """The generated registry in each backend."""
    name = "generated" if request.param == "sqlite" else "generated_postgres"
    reg: Registry = request.getfixturevalue(name)
    return reg
