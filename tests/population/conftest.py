"""Shared registries for the population tests: the fixture identities and a small generated one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eid.population import SqliteRegistry, default_identities_path, generate, load_fixture_registry

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


@pytest.fixture(scope="session")
def registry() -> Iterator[SqliteRegistry]:
    with load_fixture_registry(today=TODAY) as reg:
        yield reg


@pytest.fixture(scope="session")
def generated_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "population.sqlite"
    return generate(out, people=GENERATED_PEOPLE, seed=GENERATED_SEED, workers=1)


@pytest.fixture(scope="session")
def generated(generated_path: Path) -> Iterator[SqliteRegistry]:
    with SqliteRegistry(generated_path, readonly=True) as reg:
        yield reg
