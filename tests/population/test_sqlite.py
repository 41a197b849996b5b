"""SQLite storage: absent vs empty, corrupt rows, read-only files, all-or-none writes."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from eid.errors import ConfigurationError, IdNumberError, StorageError
from eid.population import (
    Address,
    Citizen,
    SqliteRegistry,
    citizen_to_record,
    load_citizens,
)

from .conftest import TODAY

HEAD = "074078000101"


@pytest.fixture(scope="module")
def citizens() -> list[Citizen]:
    return load_citizens(today=TODAY)


def by_id(citizens: list[Citizen], id_number: str) -> Citizen:
    return next(c for c in citizens if c.id_number == id_number)


def test_every_fixture_round_trips_through_a_file(
    tmp_path: Path, citizens: list[Citizen]
) -> None:
    path = tmp_path / "registry.sqlite"
    with SqliteRegistry(path) as writable:
        assert writable.add_many(citizens) == len(citizens)
    with SqliteRegistry(path, readonly=True) as registry:
        for citizen in citizens:
            assert registry.get(citizen.id_number) == citizen


def test_absent_and_empty_survive_storage(tmp_path: Path, citizens: list[Citizen]) -> None:
    base = by_id(citizens, HEAD)
    empty = dataclasses.replace(
        base, id_number="074078000111", blood_type=None, religion="", temporary_absence="",
        middle_name="", hometown=Address(79, None, "", "VNM"), household=None, father=None,
        mother=None, spouse=None, old_id_number=None, account=None,
    )
    absent = dataclasses.replace(
        empty, id_number="074078000112", religion=None, temporary_absence=None,
        middle_name=None, hometown=Address(79, None, None, "VNM"),
    )
    path = tmp_path / "registry.sqlite"
    with SqliteRegistry(path) as writable:
        writable.add_many([empty, absent])
    with SqliteRegistry(path, readonly=True) as registry:
        got_empty, got_absent = registry.get(empty.id_number), registry.get(absent.id_number)
    assert got_empty == empty and got_absent == absent
    assert (got_empty.religion, got_absent.religion) == ("", None)
    assert (got_empty.temporary_absence, got_absent.temporary_absence) == ("", None)
    assert (got_empty.middle_name, got_absent.middle_name) == ("", None)
    assert got_empty.hometown is not None and got_empty.hometown.detail == ""
    assert got_absent.hometown is not None and got_absent.hometown.detail is None


def test_fixture_empty_strings_are_kept(citizens: list[Citizen]) -> None:
    # Ksor H'Bia: the whole name in the given name, the other parts empty (not absent).
    hbia = by_id(citizens, "064301002222")
    assert (hbia.family_name, hbia.middle_name, hbia.given_name) == ("", "", "Ksor H'Bia")
    record = citizen_to_record(hbia)
    assert record["family_name"] == "" and "blood_type" not in record
    hoa = by_id(citizens, "074181000202")  # empty e-mail, not absent
    assert hoa.account is not None and hoa.account.email == ""


def test_duplicate_id_writes_nothing(citizens: list[Citizen]) -> None:
    with SqliteRegistry() as registry:
        registry.add_many(citizens[:3])
        with pytest.raises(StorageError) as info:
            registry.add_many([citizens[5], citizens[0]])
        assert info.value.code == "duplicate_id_number"
        assert len(registry) == 3  # all or none


CORRUPTIONS = [
    pytest.param("not json", id="not-json"),
    pytest.param("", id="empty"),
    pytest.param("[]", id="empty-array"),
    pytest.param("{}", id="object"),
    pytest.param("null", id="null"),
    pytest.param(b"\x00\x01", id="blob"),
    pytest.param(42, id="integer"),
]


def _stored(path: Path, id_number: str) -> str:
    conn = sqlite3.connect(path)
    try:
        text: str = conn.execute(
            "SELECT record FROM citizens WHERE id_number = ?", (int(id_number),)
        ).fetchone()[0]
        return text
    finally:
        conn.close()


def _overwrite(path: Path, id_number: str, value: object) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(
                "UPDATE citizens SET record = ? WHERE id_number = ?", (value, int(id_number))
            )
    finally:
        conn.close()


@pytest.fixture
def stored(tmp_path: Path, citizens: list[Citizen]) -> Path:
    path = tmp_path / "registry.sqlite"
    with SqliteRegistry(path) as registry:
        registry.add_many(citizens)
    return path


def _damaged_variants(text: str) -> list[tuple[str, str]]:
    return [
        ("truncated", text[: len(text) // 2]),
        ("trailing-garbage", text + "x"),
        ("one-field-short", text[: text.rindex(",[")] + "]"),
        ("bad-birth-date", text.replace("[1978,3,15]", "[1978,13,15]", 1)),
        ("birth-not-array", text.replace("[1978,3,15]", "1978", 1)),
        ("other-citizen", text.replace('"074078000101"', '"074078000102"', 1)),
    ]


@pytest.mark.parametrize("value", CORRUPTIONS)
def test_corrupt_row_is_a_storage_error(stored: Path, value: object) -> None:
    _overwrite(stored, HEAD, value)
    with SqliteRegistry(stored, readonly=True) as registry, pytest.raises(StorageError) as info:
        registry.get(HEAD)
    assert info.value.code == "corrupt_record"


@pytest.mark.parametrize("variant", range(6))
def test_damaged_record_is_never_returned_half_filled(stored: Path, variant: int) -> None:
    name, damaged = _damaged_variants(_stored(stored, HEAD))[variant]
    _overwrite(stored, HEAD, damaged)
    with SqliteRegistry(stored, readonly=True) as registry:
        with pytest.raises(StorageError) as info:
            registry.get(HEAD)
        assert info.value.code == "corrupt_record", name
        with pytest.raises(StorageError):
            list(registry)  # iteration does not skip it either
        with pytest.raises(StorageError):
            registry.search("Nguyen Van Hung")


def test_readonly_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        SqliteRegistry(tmp_path / "missing.sqlite", readonly=True)
    assert info.value.code == "registry_missing"
    with pytest.raises(StorageError) as info:
        SqliteRegistry(":memory:", readonly=True)
    assert info.value.code == "registry_missing"


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b""])
def test_not_a_registry(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "other.sqlite"
    path.write_bytes(content)
    with pytest.raises(StorageError) as info:
        SqliteRegistry(path, readonly=True)
    assert info.value.code == "not_a_registry"


def test_other_schema_version_is_refused(stored: Path) -> None:
    conn = sqlite3.connect(stored)
    with conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StorageError) as info:
        SqliteRegistry(stored, readonly=True)
    assert info.value.code == "not_a_registry"


def test_readonly_registry_refuses_writes(stored: Path, citizens: list[Citizen]) -> None:
    extra = dataclasses.replace(citizens[0], id_number="074078000199", household=None)
    with SqliteRegistry(stored, readonly=True) as registry, pytest.raises(StorageError):
        registry.add_many([extra])


def test_unopenable_path(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        SqliteRegistry(tmp_path)  # a directory
    assert info.value.code == "registry_missing"


def test_a_citizen_found_again_is_the_same_decoded_record(citizens: list[Citizen]) -> None:
    # authorize, token and userinfo look the same citizen up seconds apart.
    with SqliteRegistry(keep_decoded=8) as registry:
        registry.add_many(citizens)
        first = registry.get(HEAD)
        assert registry.get(HEAD) is first
        assert first == by_id(citizens, HEAD)


def test_by_default_nothing_is_kept(citizens: list[Citizen]) -> None:
    # A registry read citizen after citizen (a search, an export) pays nothing for a cache.
    with SqliteRegistry() as registry:
        registry.add_many(citizens)
        first = registry.get(HEAD)
        assert registry.get(HEAD) is not first and registry.get(HEAD) == first
        assert len(registry._decoded) == 0


def test_a_miss_is_not_kept_so_a_citizen_added_later_is_found(
    citizens: list[Citizen],
) -> None:
    newcomer = dataclasses.replace(by_id(citizens, HEAD), id_number="074078000199")
    with SqliteRegistry(keep_decoded=8) as registry:
        registry.add_many(citizens)
        assert registry.find(newcomer.id_number) is None
        registry.add_many([newcomer])
        assert registry.get(newcomer.id_number) == newcomer


def test_the_decoded_records_kept_are_bounded(citizens: list[Citizen]) -> None:
    with SqliteRegistry(keep_decoded=3) as registry:
        registry.add_many(citizens)
        ids = [c.id_number for c in citizens[:5]]
        kept = [registry.get(i) for i in ids]
        assert list(registry._decoded) == ids[-3:]
        # The oldest went first; the newest are still the very objects returned.
        assert registry.get(ids[-1]) is kept[-1]
        assert registry.get(ids[0]) == kept[0] and registry.get(ids[0]) is not kept[0]


@pytest.mark.parametrize("value", [-1, True, 1.5, "8", None])
def test_keep_decoded_must_be_a_count(value: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        SqliteRegistry(keep_decoded=value)  # type: ignore[arg-type]
    assert info.value.code == "invalid_argument"


def test_a_malformed_number_is_still_refused_after_lookups(citizens: list[Citizen]) -> None:
    with SqliteRegistry(keep_decoded=8) as registry:
        registry.add_many(citizens)
        registry.get(HEAD)
        with pytest.raises(IdNumberError):
            registry.find(HEAD[:-1] + "x")

