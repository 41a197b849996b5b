"""What only the PostgreSQL registry has to do: COPY all or none, refuse damaged rows,
replace a whole registry atomically, survive a server restart, and the CLI on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from eid.cli import main
from eid.errors import ConfigurationError, StorageError
from eid.population import Citizen, SqliteRegistry, load_citizens
from eid.population.postgres import PostgresRegistry
from eid.population.postgres_load import generate_to_postgres, load_rows
from eid.population.sqlite_schema import Row, citizen_row
from eid.storage.postgres_pool import PoolSettings
from tests.servers import PostgresServer

from .conftest import TODAY

HEAD = "074078000101"


@pytest.fixture(scope="module")
def citizens() -> list[Citizen]:
    return load_citizens(today=TODAY)


@pytest.fixture
def loaded(postgres_url: str, citizens: list[Citizen]) -> Iterator[PostgresRegistry]:
    with PostgresRegistry(postgres_url, create=True) as registry:
        registry.add_many(citizens)
        yield registry


def _execute(url: str, statement: str, params: tuple[object, ...] = ()) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(statement, params)  # type: ignore[arg-type]


def test_duplicate_id_writes_nothing(postgres_url: str, citizens: list[Citizen]) -> None:
    with PostgresRegistry(postgres_url, create=True) as registry:
        registry.add_many(citizens[:3])
        with pytest.raises(StorageError) as info:
            registry.add_many([citizens[5], citizens[0]])
        assert info.value.code == "duplicate_id_number"
        assert len(registry) == 3  # all or none


def test_an_empty_registry_is_empty(postgres_url: str, citizens: list[Citizen]) -> None:
    with PostgresRegistry(postgres_url, create=True) as registry:
        assert registry.is_empty()
        registry.add_many(citizens[:1])
        assert not registry.is_empty()


@pytest.mark.parametrize("value", ["not json", "", "[]", "{}", "null", "42"])
def test_corrupt_row_is_a_storage_error(loaded: PostgresRegistry, postgres_url: str,
                                        value: str) -> None:
    _execute(postgres_url, "UPDATE citizens SET record = %s WHERE id_number = %s",
             (value, int(HEAD)))
    with pytest.raises(StorageError) as info:
        loaded.get(HEAD)
    assert info.value.code == "corrupt_record"
    with pytest.raises(StorageError):
        list(loaded)  # iteration does not skip it either
    with pytest.raises(StorageError):
        loaded.search("Nguyen Van Hung")


def test_a_row_holding_another_citizen_is_corrupt(loaded: PostgresRegistry,
                                                  postgres_url: str) -> None:
    _execute(postgres_url, "UPDATE citizens SET record = replace(record, %s, %s)"
             " WHERE id_number = %s", (f'"{HEAD}"', '"074078000102"', int(HEAD)))
    with pytest.raises(StorageError) as info:
        loaded.get(HEAD)
    assert info.value.code == "corrupt_record"


def test_no_registry_in_the_database(postgres_url: str) -> None:
    with pytest.raises(StorageError) as info:
        PostgresRegistry(postgres_url)
    assert info.value.code == "registry_missing"
    assert "eid population generate" in str(info.value)


def test_other_schema_version_is_refused(loaded: PostgresRegistry, postgres_url: str) -> None:
    _execute(postgres_url, "UPDATE registry_meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(StorageError) as info:
        PostgresRegistry(postgres_url)
    assert info.value.code == "not_a_registry"


# --- bulk loads --------------------------------------------------------------------

def _rows(citizens: list[Citizen]) -> list[Row]:
    return [citizen_row(c) for c in citizens]


def test_a_load_replaces_the_registry_and_builds_its_indexes(
        loaded: PostgresRegistry, postgres_url: str, citizens: list[Citizen]) -> None:
    assert load_rows(postgres_url, [_rows(citizens[:10]), _rows(citizens[10:12])],
                     {"seed": "x"}) == 12
    assert len(loaded) == 12  # the open registry reads the new table
    assert loaded.meta() == {"schema_version": "3", "seed": "x"}
    with psycopg.connect(postgres_url) as conn:
        indexes = {name for (name,) in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'citizens'")}
        analyzed = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'citizens'"
                                ).fetchone()
    assert indexes == {"citizens_pkey", "citizens_name", "citizens_household",
                       "citizens_father", "citizens_mother"}
    assert analyzed is not None and analyzed[0] == 12  # ANALYZEd: the planner knows its size


def test_a_failed_load_leaves_the_previous_registry_intact(
        loaded: PostgresRegistry, postgres_url: str, citizens: list[Citizen]) -> None:
    def chunks() -> Iterator[list[Row]]:
        yield _rows(citizens[:10])
        raise RuntimeError("a worker died")

    with pytest.raises(RuntimeError):
        load_rows(postgres_url, chunks(), {})
    assert len(loaded) == len(citizens)
    assert loaded.get(HEAD).full_name == "Nguyễn Văn Hùng"
    assert loaded.meta() == {"schema_version": "3"}


def test_a_load_with_a_duplicate_id_changes_nothing(
        loaded: PostgresRegistry, postgres_url: str, citizens: list[Citizen]) -> None:
    with pytest.raises(StorageError) as info:
        load_rows(postgres_url, [_rows(citizens[:3]), _rows(citizens[:1])], {})
    assert info.value.code == "duplicate_id_number"
    assert len(loaded) == len(citizens)


def test_the_generator_loads_postgres_with_the_people_it_writes_to_a_file(
        postgres_url: str, tmp_path: Path) -> None:
    assert generate_to_postgres(postgres_url, people=300, seed="same", workers=2) == 300
    with PostgresRegistry(postgres_url) as pg, \
            SqliteRegistry(_sqlite(tmp_path, 300, "same"), readonly=True) as sqlite:
        assert list(pg) == list(sqlite)
        assert pg.meta()["people"] == "300"


def _sqlite(tmp_path: Path, people: int, seed: str) -> Path:
    from eid.population import generate

    return generate(tmp_path / "p.sqlite", people=people, seed=seed, workers=1)


def test_a_registry_survives_a_server_restart(postgres: PostgresServer, postgres_url: str,
                                              citizens: list[Citizen]) -> None:
    fast = PoolSettings(timeout=1.0, connect_timeout=1.0)
    with PostgresRegistry(postgres_url, create=True, pool=fast) as registry:
        registry.add_many(citizens)
        postgres.stop()
        try:
            with pytest.raises(StorageError) as info:
                registry.get(HEAD)
            assert info.value.code == "storage_unavailable"
        finally:
            postgres.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                assert registry.get(HEAD).id_number == HEAD
                break
            except StorageError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


# --- the command line --------------------------------------------------------------

def test_generate_into_postgres_and_query(postgres_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = ["population", "generate", "--people", "200", "--seed", "1", "--workers", "1"]
    assert main([*args, "--database-url", postgres_url]) == 0
    assert "200" in capsys.readouterr().err
    with PostgresRegistry(postgres_url) as registry:
        someone = next(iter(registry))
    assert main(["citizens", "show", someone.id_number, "--database-url", postgres_url]) == 0
    assert someone.full_name in capsys.readouterr().out
    assert main(["citizens", "search", someone.full_name, "--database-url", postgres_url]) == 0
    assert someone.id_number in capsys.readouterr().out


def test_generate_needs_exactly_one_target(postgres_url: str, tmp_path: Path) -> None:
    args = ["population", "generate", "--people", "10"]
    for target in ([], ["--out", str(tmp_path / "x"), "--database-url", postgres_url]):
        with pytest.raises(SystemExit) as exc:
            main([*args, *target])
        assert exc.value.code == 2


def test_a_database_without_a_registry_is_a_clear_failure(
        postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "show", HEAD, "--database-url", postgres_url]) == 1
    assert "eid population generate" in capsys.readouterr().err


def test_a_database_url_that_is_not_postgresql_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "show", HEAD, "--database-url", "mysql://db/eid"]) == 2
    assert "invalid_url" in capsys.readouterr().err



# --- citizens kept decoded ----------------------------------------------------------

@pytest.fixture
def keeping(postgres_url: str, citizens: list[Citizen]) -> Iterator[PostgresRegistry]:
    with PostgresRegistry(postgres_url, create=True, keep_decoded=8) as registry:
        registry.add_many(citizens)
        yield registry


def test_a_row_read_back_unchanged_is_not_decoded_again(keeping: PostgresRegistry,
                                                        citizens: list[Citizen]) -> None:
    # authorize, token and userinfo look the same citizen up seconds apart.
    first = keeping.get(HEAD)
    assert keeping.get(HEAD) is first
    assert first == next(c for c in citizens if c.id_number == HEAD)


def test_a_locked_account_is_seen_at_the_next_lookup(keeping: PostgresRegistry,
                                                        postgres_url: str) -> None:
    # Another process writes the table: the kept citizen must never hide the change.
    assert keeping.get(HEAD).account.status == "active"  # type: ignore[union-attr]
    _execute(postgres_url, "UPDATE citizens SET record = replace(record, '\"active\"',"
             " '\"locked\"') WHERE id_number = %s", (int(HEAD),))
    assert keeping.get(HEAD).account.status == "locked"  # type: ignore[union-attr]


def test_a_row_corrupted_after_a_lookup_is_still_refused(keeping: PostgresRegistry,
                                                         postgres_url: str) -> None:
    keeping.get(HEAD)
    _execute(postgres_url, "UPDATE citizens SET record = 'not json' WHERE id_number = %s",
             (int(HEAD),))
    with pytest.raises(StorageError) as info:
        keeping.get(HEAD)
    assert info.value.code == "corrupt_record"


def test_a_deleted_row_is_not_found_after_a_lookup(keeping: PostgresRegistry,
                                                   postgres_url: str) -> None:
    keeping.get(HEAD)
    _execute(postgres_url, "DELETE FROM citizens WHERE id_number = %s", (int(HEAD),))
    assert keeping.find(HEAD) is None


def test_by_default_no_decoded_citizen_is_kept(loaded: PostgresRegistry) -> None:
    first = loaded.get(HEAD)
    assert loaded.get(HEAD) is not first and loaded.get(HEAD) == first


@pytest.mark.parametrize("value", [-1, True, 1.5, "8", None])
def test_keep_decoded_must_be_a_count(value: object) -> None:
    # Refused before any connection is tried: the URL is never used.
    with pytest.raises(ConfigurationError) as info:
        PostgresRegistry("postgresql://127.0.0.1:1/none", keep_decoded=value)  # type: ignore[arg-type]
    assert info.value.code == "invalid_argument"
