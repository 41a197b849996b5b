"""The durable store's files are owner-only, and a shared one is refused (issue 10 item 5)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from eid.errors import StorageError
from eid.storage import (
    SqliteDurableStore,
    StoredKey,
    make_private_folder,
    prepare_private_file,
)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # What a developer's shell usually has: files 0644, folders 0755.
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_the_folder_and_every_sqlite_file_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "instance" / "eid.sqlite"
    make_private_folder(path.parent)
    store = SqliteDurableStore(path)
    store.add_key(StoredKey("k1", "ES256", {"kty": "EC", "d": "private"}, 1.0))
    store.instance_secret("session")
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "instance") == 0o700
    files = sorted(path.parent.iterdir())
    assert {f.name for f in files} >= {"eid.sqlite", "eid.sqlite-wal", "eid.sqlite-shm"}
    for f in files:
        assert _mode(f) == 0o600, f.name


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_folder_is_kept_and_the_file_is_owner_only(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    prepare_private_file(tmp_path / "filings.sqlite")
    assert _mode(tmp_path / "filings.sqlite") == 0o600
    assert _mode(tmp_path) == 0o755  # not ours to change


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606, 0o620, 0o601])
@pytest.mark.parametrize("name", ["eid.sqlite", "eid.sqlite-wal", "eid.sqlite-shm",
                                  "eid.sqlite-journal"])
def test_a_file_others_may_read_or_write_is_refused(name: str, mode: int,
                                                    tmp_path: Path) -> None:
    first = SqliteDurableStore(tmp_path / "eid.sqlite")
    first.instance_secret("pairwise")
    first.close()  # SQLite removes its side files: none may vanish under the test
    (tmp_path / name).touch()
    (tmp_path / name).chmod(mode)
    with pytest.raises(StorageError) as err:
        SqliteDurableStore(tmp_path / "eid.sqlite")
    assert err.value.code == "insecure_key_file"
    assert "chmod 600" in err.value.message


def test_an_owner_only_file_opens_again(tmp_path: Path) -> None:
    first = SqliteDurableStore(tmp_path / "eid.sqlite").instance_secret("pairwise")
    assert SqliteDurableStore(tmp_path / "eid.sqlite").instance_secret("pairwise") == first


@pytest.mark.parametrize("below", ["file", "file/sub"])
def test_a_folder_that_cannot_be_created_is_a_storage_error(below: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError) as err:
        make_private_folder(tmp_path / below / "instance")
    assert err.value.code == "storage_unavailable"


def test_a_store_in_a_missing_folder_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as err:
        SqliteDurableStore(tmp_path / "missing" / "eid.sqlite")  # a typo makes no folder
    assert err.value.code == "storage_unavailable"


def test_memory_needs_no_file() -> None:
    SqliteDurableStore(":memory:").instance_secret("x")
