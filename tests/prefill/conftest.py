"""Shared fixtures for the prefill tests: the fixture registry, the shipped catalogue and forms."""

from __future__ import annotations

import datetime as _dt

import pytest

from eid.population.fixtures import load_fixture_registry
from eid.population.sqlite import SqliteRegistry
from eid.prefill import Catalogue, Form, Procedure, default_catalogue, load_forms

NOW = _dt.datetime(2026, 11, 25, 9, 30, tzinfo=_dt.UTC)

#: Every Vietnamese scope of the catalogue: what a citizen granting everything grants.
ALL_SCOPES = (
    "openid", "profile", "id_number", "residence", "household", "family", "origin",
    "contact", "marital_status", "blood_type",
)  # fmt: skip

HUNG = "074078000101"  # household A head, male, married
HOA = "074181000202"  # household A spouse, female, empty email
TU = "074048000606"  # birth date known only as a year
MAI = "074185002727"  # ethnicity 99, no household, no account, no temporary residence
MINH = "079075002828"  # foreign spouse, temporary residence
BICH = "074160003131"  # birth date known to the month
HBIA = "064301002222"  # whole name in one part, Gia-rai ethnicity
NGUYET = "079192001515"  # name stored NFD in the source file
PEOPLE = (HUNG, HOA, TU, MAI, MINH, BICH, HBIA, NGUYET)


@pytest.fixture(scope="session")
def registry() -> SqliteRegistry:
    """The 32 fixture identities in memory."""
    return load_fixture_registry()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The shipped scope catalogue."""
    return default_catalogue()


@pytest.fixture(scope="session")
def shipped() -> tuple[dict[str, Form], dict[str, Procedure]]:
    """The shipped forms and procedures."""
    return load_forms()


@pytest.fixture(scope="session")
def forms(shipped: tuple[dict[str, Form], dict[str, Procedure]]) -> dict[str, Form]:
    """The shipped forms by id."""
    return shipped[0]


@pytest.fixture(scope="session")
def procedures(shipped: tuple[dict[str, Form], dict[str, Procedure]]) -> dict[str, Procedure]:
    """The shipped chained procedures by id."""
    return shipped[1]
