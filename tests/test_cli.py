"""The ``eid`` command: sub-commands found through the ``eid.commands`` entry points."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

import pytest

from eid.cli import COMMANDS_GROUP, build_parser, main

METADATA = """\
Metadata-Version: 2.1
Name: eid-plugin-probe
Version: 1.0
Provides-Extra: present
Provides-Extra: absent
Requires-Dist: cryptography>=1; extra == "present"
Requires-Dist: no-such-distribution-eid-probe>=1; extra == "absent"
"""


def probe_commands(tmp_path: Path, entry_points: str) -> list[EntryPoint]:
    """The ``eid.commands`` entry points of a distribution installed into ``tmp_path``."""
    info = tmp_path / "eid_plugin_probe-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(METADATA, encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{COMMANDS_GROUP}]\n{entry_points}",
                                           encoding="utf-8")
    (dist,) = distributions(path=[str(tmp_path)])
    return list(dist.entry_points.select(group=COMMANDS_GROUP))


def test_demo_accepts_good_tokens_and_rejects_bad_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.count("accepted:") == 5
    for code in ("bad_signature", "invalid_audience", "expired", "acr_too_low", "alg_none"):
        assert f"rejected: {code}" in out


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_the_installed_entry_points_give_every_command() -> None:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) >= {"demo", "citizens", "population", "token", "serve", "mock",
                                "portal", "up"}


def test_a_command_comes_only_from_an_entry_point(tmp_path: Path) -> None:
    commands = probe_commands(tmp_path, "demo = eid.demo:register [present]\n")
    assert build_parser(commands).parse_args(["demo"]).command == "demo"
    with pytest.raises(SystemExit):
        build_parser([]).parse_args(["demo"])


def test_a_command_whose_extra_is_missing_says_what_to_install(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The entry point is never loaded: its module does not even exist.
    commands = probe_commands(tmp_path, "serve = no_such_module.cli:register [absent]\n")
    args = build_parser(commands).parse_args(["serve", "--port", "5000"])
    assert args.func(args) == 2
    assert capsys.readouterr().err == (
        "error: `eid serve` needs the 'absent' extra: pip install 'eid-plugin-probe[absent]'\n")


def test_the_service_commands_name_the_service_extra(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = tmp_path / "eid-9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: eid\nVersion: 9\nProvides-Extra: service\n"
        "Requires-Dist: no-such-distribution-eid-probe; extra == \"service\"\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[{COMMANDS_GROUP}]\nserve = service.cli:register [service]\n", encoding="utf-8")
    (dist,) = distributions(path=[str(tmp_path)])
    args = build_parser(dist.entry_points.select(group=COMMANDS_GROUP)).parse_args(["serve"])
    assert args.func(args) == 2
    assert capsys.readouterr().err == (
        "error: `eid serve` needs the login service: pip install 'eid[service]'\n")


def test_a_name_taken_twice_keeps_the_first_and_warns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commands = probe_commands(tmp_path, "demo = eid.demo:register\n")
    parser = build_parser([*commands, *commands])
    assert parser.parse_args(["demo"]).command == "demo"
    assert "eid.demo:register' skipped: " in capsys.readouterr().err


def test_listing_the_commands_imports_no_framework() -> None:
    code = ("import sys, eid.cli; eid.cli.build_parser(); "
            "print(sorted(m for m in ('flask', 'werkzeug', 'service.app') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         check=True)
    assert out.stdout.strip() == "[]"
