"""`eid keys list` and `eid keys rotate` on an instance's durable store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from freezegun import freeze_time

from eid.cli import main
from eid.storage import SqliteDurableStore


@pytest.fixture
def instance(keys_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("EID_INSTANCE", "EID_ISSUER", "EID_TEST_MODE"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o700)
    shutil.copy(keys_db, folder / "eid.sqlite")
    return folder


def _list(instance: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["keys", "list", "--json", "--instance", str(instance)]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_list_shows_one_current_key_per_algorithm(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _list(instance, capsys)
    assert sorted((r["alg"], r["state"], r["published"]) for r in rows) == \
        [("ES256", "current", True), ("RS256", "current", True)]
    assert main(["keys", "list", "--instance", str(instance)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["STATE", "KID", "ALG", "CREATED", "ACTIVATES", "RETIRES",
                                "UNPUBLISHED", "PUBLISHED"]
    assert len(table) == 3


def test_rotate_publishes_a_next_key_that_signs_after_the_delay(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with freeze_time("2027-01-01 08:00:00"):
        assert main(["keys", "rotate", "--alg", "ES256", "--delay", "900",
                     "--instance", str(instance)]) == 0
        out = capsys.readouterr()
        assert "signs from 2027-01-01T08:15:00Z" in out.out
        assert out.err == ""  # 900 s is above the safe minimum: no warning
        rows = _list(instance, capsys)
    es = {r["state"]: r for r in rows if r["alg"] == "ES256"}
    assert es["next"]["activates"] == "2027-01-01T08:15:00Z"
    assert es["current"]["retires"] == "2027-01-01T08:15:00Z"
    with freeze_time("2027-01-01 08:15:00"):
        states = sorted(str(r["state"]) for r in _list(instance, capsys) if r["alg"] == "ES256")
    assert states == ["current", "retired"]


def test_rotate_all_rotates_every_algorithm(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "rotate", "--instance", str(instance)]) == 0
    assert sorted(str(r["alg"]) for r in _list(instance, capsys) if r["state"] == "next") == \
        ["ES256", "RS256"]


def test_a_short_delay_is_done_with_a_warning(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "rotate", "--alg", "ES256", "--delay", "0",
                 "--instance", str(instance)]) == 0
    assert "may outrun portals' cached key sets" in capsys.readouterr().err


def test_a_second_rotation_while_one_is_pending_fails_with_exit_1(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["keys", "rotate", "--alg", "ES256", "--delay", "60", "--instance", str(instance)]
    assert main(args) == 0
    assert main(args) == 1
    assert "rotation_pending" in capsys.readouterr().err


@pytest.mark.parametrize("delay", ["-1", "nan", "inf", "soon"])
def test_a_bad_delay_is_a_usage_error(instance: Path, delay: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["keys", "rotate", "--delay", delay, "--instance", str(instance)])
    assert exit_.value.code == 2


def test_a_missing_instance_exits_4_and_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("list", "rotate"):
        assert main(["keys", action, "--instance", str(tmp_path / "nope")]) == 4
        assert "no instance database" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_a_file_others_can_read_is_refused(
        instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (instance / "eid.sqlite").chmod(0o644)
    assert main(["keys", "list", "--instance", str(instance)]) == 1
    assert "insecure_key_file" in capsys.readouterr().err


def test_keys_at_rest_stay_owner_only_after_a_rotation(instance: Path) -> None:
    assert main(["keys", "rotate", "--alg", "ES256", "--instance", str(instance)]) == 0
    for path in instance.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


def test_an_in_memory_store_is_a_usage_error(
        instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import keys_cli
    from service.config import Settings

    monkeypatch.setattr(keys_cli, "_settings", lambda args: Settings(durable_path=":memory:"))
    assert main(["keys", "list"]) == 2


def test_the_rotation_is_seen_by_the_store_a_service_keeps_open(instance: Path) -> None:
    from eid.oidc import KeyStore

    service_keys = KeyStore(SqliteDurableStore(instance / "eid.sqlite"), reload_interval=0)
    assert main(["keys", "rotate", "--alg", "ES256", "--instance", str(instance)]) == 0
    assert [s.state for s in service_keys.states() if s.alg == "ES256"] == ["current", "next"]
