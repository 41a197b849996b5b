"""``eid citizens ...`` and ``eid population generate``: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eid.cli import main
from eid.population import SqliteRegistry

HEAD = "074078000101"


@pytest.fixture(autouse=True)
def _fixtures_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EID_REGISTRY", raising=False)


def test_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "show", HEAD]) == 0
    out = capsys.readouterr().out
    assert "Nguyễn Văn Hùng" in out and "1978-03-15" in out
    assert "scrypt" not in out  # never a password hash


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "show", HEAD, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["id_number"] == HEAD
    assert "password_hash" not in record["account"]


def test_show_unknown_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "show", "074078999999"]) == 1
    assert "not found" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["12345", "07407800010x", "999078000101"])
def test_show_malformed_exits_3(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["citizens", "show", value]) == 3
    assert "invalid" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["Nguyen Van Hung", "--born", "1978-03-15"], [HEAD]),
        (["Nguyen Van Hung", "--born", "1978"], [HEAD]),
        (["Nguyễn Văn Hùng"], [HEAD]),
        (["Phan Thi Thuy", "--born", "1991-03-03"], ["079191001616", "079191001717"]),
    ],
)
def test_search(capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]) -> None:
    assert main(["citizens", "search", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == expected


def test_search_without_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "search", "Nguyen Van Hung", "--born", "1979-01-01"]) == 1
    assert "no match" in capsys.readouterr().err


def test_search_bad_date_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["citizens", "search", "Nguyen Van Hung", "--born", "15/03/1978"])
    assert info.value.code == 2


def test_check_id_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "check-id", "074203001234"]) == 0
    out = capsys.readouterr().out
    assert "Bình Dương" in out and "male" in out and "2003" in out


def test_check_id_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "check-id", "035199000123", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["valid"] is True
    assert (facts["sex"], facts["birth_year"]) == ("female", 1999)
    assert facts["birth_registration_province"]["name"] == "Hà Nam"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12345", "bad_length"),
        ("07420300123x", "not_digits"),
        ("999203001234", "unknown_province"),
    ],
)
def test_check_id_invalid_exits_3(
    capsys: pytest.CaptureFixture[str], value: str, code: str
) -> None:
    assert main(["citizens", "check-id", value]) == 3
    assert code in capsys.readouterr().out


def test_check_id_recognises_an_old_cmnd(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citizens", "check-id", "280512345"]) == 3
    assert "old 9-digit CMND" in capsys.readouterr().out


def test_generate_and_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "population.sqlite"
    args = ["population", "generate", "--people", "500", "--seed", "1"]
    assert main([*args, "--out", str(out)]) == 0
    assert out.is_file()
    assert "500" in capsys.readouterr().err  # progress and summary on stderr
    again = tmp_path / "again.sqlite"
    assert main([*args, "--out", str(again), "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # --quiet: no progress bar
    with (
        SqliteRegistry(out, readonly=True) as first,
        SqliteRegistry(again, readonly=True) as second,
    ):
        assert list(first) == list(second)
        someone = next(iter(first))
    assert main(["citizens", "show", someone.id_number, "--registry", str(out)]) == 0
    assert someone.full_name in capsys.readouterr().out


def test_registry_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EID_REGISTRY", str(tmp_path / "missing.sqlite"))
    assert main(["citizens", "show", HEAD]) == 1
    assert "registry_missing" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "many"])
def test_search_limit_out_of_range_is_a_usage_error(limit: str) -> None:
    from eid.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["citizens", "search", "Nguyen Van Hung", "--limit", limit])
    assert exc.value.code == 2
