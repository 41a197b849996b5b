"""``eid.datafiles``: the shipped data found through importlib.resources, and a missing
data file told apart from a malformed one (``data_file_missing``, exit code 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.cli import main
from eid.datafiles import data_path, fixture_path, read_json
from eid.errors import DataError, DataFileMissing
from eid.oidc.clients import load_clients
from eid.population import default_identities_path, load_citizens
from eid.prefill import (
    default_catalogue_path,
    default_forms_dir,
    load_catalogue,
    load_form,
    load_forms,
)
from eid.signing import load_signing_keys

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("shipped", "in_repository"), [
    (default_catalogue_path(), "fixtures/scopes.json"),
    (default_forms_dir(), "fixtures/forms"),
    (default_identities_path(), "fixtures/identities.json"),
    (fixture_path("clients.json"), "fixtures/clients.json"),
    (fixture_path("keys", "test-signing-keys.json"), "fixtures/keys/test-signing-keys.json"),
    (data_path("eid.population", "data"), "eid/population/data"),
])
def test_a_checkout_reads_the_repository_copy(shipped: Path, in_repository: str) -> None:
    # One copy of each file: the editable install maps fixtures/ to eid.fixtures.
    assert shipped.exists()
    assert shipped.resolve() == (ROOT / in_repository).resolve()


def test_a_package_that_is_not_installed() -> None:
    with pytest.raises(DataFileMissing) as err:
        data_path("eid_no_such_package")
    assert (err.value.code, err.value.source) == ("data_file_missing", "eid_no_such_package")


def test_a_data_package_without_its_init_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A namespace package (an install that lost fixtures/__init__.py) is no folder on disk.
    (tmp_path / "eid_test_namespace").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DataFileMissing) as err:
        data_path("eid_test_namespace", "scopes.json")
    assert err.value.code == "data_file_missing"


@pytest.mark.parametrize("make", [
    lambda tmp: tmp / "absent.json",
    lambda tmp: tmp,  # a folder where a file should be
], ids=["absent", "a folder"])
def test_an_unreadable_file_is_missing_not_malformed(make: Callable[[Path], Path],
                                                     tmp_path: Path) -> None:
    path = make(tmp_path)
    with pytest.raises(DataFileMissing) as err:
        read_json(path)
    assert (err.value.code, err.value.source) == ("data_file_missing", str(path))


@pytest.mark.parametrize(("content", "code"), [
    (b"{", "bad_json"),
    (b"", "bad_json"),
    (b'{"a": "\xff"}', "bad_encoding"),
])
def test_a_malformed_file_is_a_plain_data_error(content: bytes, code: str,
                                                tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        read_json(path)
    assert err.value.code == code
    assert not isinstance(err.value, DataFileMissing)


Loader = Callable[[Path], Any]
LOADERS: dict[str, Loader] = {
    "load_catalogue": load_catalogue,
    "load_form": load_form,
    "load_forms": load_forms,  # a folder: glob() alone would load nothing, silently
    "load_citizens": load_citizens,
    "load_clients": load_clients,
    "load_signing_keys": load_signing_keys,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_every_loader_reports_a_missing_file(loader: str, tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    with pytest.raises(DataFileMissing) as err:
        LOADERS[loader](absent)
    assert (err.value.code, err.value.source) == ("data_file_missing", str(absent))


@pytest.mark.parametrize(("argv", "exit_code"), [
    (["token", "mint", "--aud", "x", "--identities", "{absent}"], 4),
    (["token", "mint", "--aud", "x", "--identities", "{malformed}"], 3),
    (["demo", "--keys", "{absent}"], 4),
])
def test_the_cli_exit_code_for_a_missing_file_differs_from_malformed_input(
        argv: list[str], exit_code: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    malformed = tmp_path / "malformed.json"
    malformed.write_text("{", encoding="utf-8")
    paths = {"absent": str(tmp_path / "absent.json"), "malformed": str(malformed)}
    assert main([arg.format(**paths) for arg in argv]) == exit_code
    assert "error:" in capsys.readouterr().err
