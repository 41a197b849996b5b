"""``python -m bench.pauses`` times the cyclic collector with the start-up objects in it
and frozen out of it (the harness with real children, the table from given children's
figures; no time is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import bench.layers
import bench.pauses
from bench.instructions import ROOT
from bench.pauses import KINDS, Pauses, main, measure

_ROW = re.compile(r"^(.+?) +\| +([0-9,]+) \| +(\d+) \| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \| "
                  r"+[0-9.]+$", re.M)


def test_quick_run_measures_both_collectors_and_frozen_tracks_almost_nothing() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.pauses", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    rows = {what: int(tracked.replace(",", "")) for what, tracked, _ in _ROW.findall(out)}
    assert list(rows) == list(KINDS.values()), out
    # An object count, not a time: frozen, what start-up made is no longer tracked (the
    # app's modules, routes and keys are tens of thousands; a few flows leave hundreds).
    assert rows[KINDS["frozen"]] * 10 < rows[KINDS["on"]], out
    assert out.rstrip().splitlines()[-1].startswith("frozen/on: one full collection "), out


def test_a_child_is_read_for_its_pauses_and_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def fake_run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        ran.append(argv)
        said = ("collector: 2 full collections of 50 flows, the longest 31.50 ms, 0.0125 ms "
                "per flow in all; 64000 objects tracked; one full collection 29.25 ms\n"
                "50 flows, 2.500 ms CPU per flow\n")
        return subprocess.CompletedProcess(argv, 0, said, "")

    monkeypatch.setattr(bench.layers.subprocess, "run", fake_run)
    assert measure("frozen", 50, warmup=4) == Pauses(
        cpu_ms=2.5, full=2, longest_ms=31.5, collector_ms=0.0125, tracked=64000,
        one_full_ms=29.25)
    (argv,) = ran
    assert argv[argv.index("--gc") + 1] == "frozen" and "--pauses" in argv
    assert argv[argv.index("--flows") + 1] == "50" and argv[argv.index("--warmup") + 1] == "4"


def test_a_child_that_prints_no_pauses_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # An older driver: it ran the flows but knows nothing of the collector.
    monkeypatch.setattr(bench.layers.subprocess, "run", lambda argv, **kw: (
        subprocess.CompletedProcess(argv, 0, "9 flows, 1.000 ms CPU per flow\n", "")))
    with pytest.raises(SystemExit, match="the flows with the collector on printed no pauses"):
        measure("on", 9)


def test_the_rounds_rotate_and_the_table_sums_maxes_and_takes_medians(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    given = {"on": [Pauses(3.0, 1, 40.0, 0.02, 64000, 30.0), Pauses(2.0, 0, 0.0, 0.01, 65000, 34.0),
                    Pauses(2.5, 1, 38.0, 0.02, 64500, 32.0)],
             "frozen": [Pauses(2.4, 2, 0.5, 0.01, 500, 0.3), Pauses(2.6, 1, 0.8, 0.01, 600, 0.4),
                        Pauses(2.5, 0, 0.0, 0.01, 550, 0.32)]}
    ran: list[tuple[str, int]] = []

    def fake_measure(kind: str, flows: int, *, warmup: int) -> Pauses:
        ran.append((kind, flows))
        return given[kind][sum(1 for k, _ in ran if k == kind) - 1]

    monkeypatch.setattr(bench.pauses, "measure", fake_measure)
    assert main(["--rounds", "3", "--flows", "8"]) == 0
    out = capsys.readouterr().out
    assert [k for k, _ in ran] == ["on", "frozen", "frozen", "on", "on", "frozen"]
    assert {flows for _, flows in ran} == {8}
    rows = {m[0]: m for m in (line.split(" | ") for line in out.splitlines()) if len(m) == 7}
    # Tracked: median; full collections: all rounds; the longest: of all rounds; the rest
    # medians.
    assert [cell.strip() for cell in rows[f"{KINDS['on']:<27}"]] == [
        KINDS["on"], "64,500", "2", "40.00", "0.0200", "32.00", "2.500"]
    assert [cell.strip() for cell in rows[f"{KINDS['frozen']:<27}"]] == [
        KINDS["frozen"], "550", "3", "0.80", "0.0100", "0.32", "2.500"]
    assert ("frozen/on: one full collection 0.010x (rounds 0.010x, 0.012x, 0.010x); the "
            "longest set off by the flows 0.020x; CPU per flow 1.000x") in out
