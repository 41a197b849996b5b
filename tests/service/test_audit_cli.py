"""`eid audit verify` and `eid audit show` on an instance's SQLite file and on
EID_DATABASE_URL."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from eid.audit import AccessEntry, NoteSigner
from eid.cli import main
from eid.oidc.log_key import log_signer
from eid.storage import DurableStore, PostgresDurableStore, SqliteDurableStore
from eid.storage.access_proofs import sign_checkpoint
from service import audit_cli

CITIZEN, OTHER = "001090000002", "074190000001"
ORIGIN = "id.example.gov.vn/audit"


@pytest.fixture
def instance(keys_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("EID_INSTANCE", "EID_ISSUER", "EID_TEST_MODE", "EID_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy(keys_db, folder / "eid.sqlite")
    return folder


def _entry(n: int, citizen: str = CITIZEN, client_id: str = "portal") -> AccessEntry:
    return AccessEntry(time=1_700_000_000 + n, citizen=citizen, client_id=client_id,
                       organisation="Cổng dịch vụ công", action="userinfo",
                       procedure="CT01" if n % 2 else None,
                       purpose=None if n % 2 else "Đăng ký khai sinh", attributes=("name",),
                       basis="consent:openid profile", trace_id=f"trace-{n}")


def _fill(store: DurableStore, n: int = 10) -> NoteSigner:
    for i in range(n):
        store.append_access(_entry(i, citizen=CITIZEN if i % 3 else OTHER,
                                   client_id="bank" if i % 4 == 1 else "portal"))
    # Signed under the service's origin, not the CLI's EID_ISSUER (unset here).
    signer = log_signer(store, ORIGIN)
    sign_checkpoint(store, signer, now=1.0)
    return signer


@pytest.fixture
def signer(instance: Path) -> NoteSigner:
    store = SqliteDurableStore(instance / "eid.sqlite")
    try:
        return _fill(store)
    finally:
        store.close()


def _verify(instance: Path, *extra: str) -> int:
    return main(["audit", "verify", "--instance", str(instance), *extra])


def test_an_intact_log_exits_0(instance: Path, signer: NoteSigner,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(instance, "--key", signer.verifier_key) == 0
    assert capsys.readouterr().out.startswith("intact: 10 entries")


def test_without_a_key_the_stores_own_is_used_and_said_so(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(instance) == 0
    assert "--key" in capsys.readouterr().err


def _tamper(instance: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(instance / "eid.sqlite") as db:
        db.execute("DROP TRIGGER access_log_no_update")
        db.execute("DROP TRIGGER access_log_no_delete")
        db.execute(sql, params)
    db.close()


@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE access_log SET entry = CAST(replace(entry, 'trace-5', 'trace-X') AS BLOB)"
     " WHERE idx = 5", "entry 5: leaf_mismatch"),
    # replace() gives TEXT: SQLite stores it as such, and it is no entry.
    ("UPDATE access_log SET entry = replace(entry, 'trace-5', 'trace-X') WHERE idx = 5",
     "entry 5: unreadable_entry"),
    ("DELETE FROM access_log WHERE idx = 7", "entry 7: missing_entry"),
])
def test_a_tampered_log_exits_1_naming_the_first_bad_entry(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str], sql: str,
        message: str) -> None:
    _tamper(instance, sql)
    assert _verify(instance, "--key", signer.verifier_key) == 1
    assert message in capsys.readouterr().err


def test_another_key_exits_1(instance: Path, signer: NoteSigner,
                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context():
        other = SqliteDurableStore(":memory:")
        stranger = log_signer(other, ORIGIN).verifier_key
        other.close()
    assert _verify(instance, "--key", stranger) == 1
    assert "bad_signature" in capsys.readouterr().err


def test_a_malformed_key_is_an_error_not_a_traceback(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str]) -> None:
    assert _verify(instance, "--key", "not a key") == 1
    assert "invalid_verifier_key" in capsys.readouterr().err


def test_a_missing_instance_exits_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EID_DATABASE_URL", raising=False)
    assert _verify(tmp_path / "nowhere") == 4


def _show(instance: Path, *extra: str) -> int:
    return main(["audit", "show", "--instance", str(instance), *extra])


def test_show_lists_a_citizens_entries_newest_first(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert _show(instance, "--citizen", CITIZEN, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["index"] for r in rows] == [8, 7, 5, 4, 2, 1]
    assert rows[0]["time"] == "2023-11-14T22:13:28Z" and rows[0]["attributes"] == ["name"]
    assert _show(instance, "--citizen", CITIZEN) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and "Cổng dịch vụ công" in lines[0]


def test_show_pages_through_and_filters_by_client(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_cli, "_PAGE", 2)
    capsys.readouterr()
    assert _show(instance, "--citizen", CITIZEN, "--json", "--limit", "5") == 0
    assert [r["index"] for r in json.loads(capsys.readouterr().out)] == [8, 7, 5, 4, 2]
    assert _show(instance, "--citizen", CITIZEN, "--json", "--client", "bank") == 0
    assert [r["index"] for r in json.loads(capsys.readouterr().out)] == [5, 1]


def test_show_never_lists_another_citizens_entries(
        instance: Path, signer: NoteSigner, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert _show(instance, "--citizen", OTHER, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["index"] for r in rows] == [9, 6, 3, 0]


@pytest.mark.parametrize("citizen", ["12345", "abcdefghijkl", "999190000001"])
def test_show_refuses_a_malformed_id_number(instance: Path, signer: NoteSigner,
                                            citizen: str) -> None:
    assert _show(instance, "--citizen", citizen) == 3


def test_on_postgres_through_eid_database_url(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    store = PostgresDurableStore(postgres_url)
    try:
        signer = _fill(store)
    finally:
        store.close()
    monkeypatch.setenv("EID_DATABASE_URL", postgres_url)
    assert main(["audit", "verify", "--key", signer.verifier_key]) == 0
    capsys.readouterr()
    assert main(["audit", "show", "--citizen", OTHER, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
