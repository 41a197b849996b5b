"""``python -m bench.layers`` splits a flow's instructions by what the request layer costs
(the harness in quick mode, the arithmetic on given counts; no count is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import bench.layers
from bench.instructions import ROOT
from bench.layers import KINDS, cpu_ms, main, shares


def test_quick_run_drives_every_kind_of_flow_without_valgrind() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.layers", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    # One line per kind, in order: each child built the app, answered every request it
    # made and printed its time (cpu_ms raises otherwise).
    said = re.findall(r"^(\w+): \d+\.\d{3} ms CPU per flow \(quick", out, re.M)
    assert said == list(KINDS), out


@pytest.mark.parametrize(("counted", "split"), [
    ({"flow": 10.0, "canned": 1.5, "service": 3.0, "flask": 2.0, "wsgi": 0.5},
     {"layer": 2.5, "flask": 1.5, "hooks": 1.0, "client": 1.0, "views": 6.0,
      "bare": 6.5 / 9.0}),
    # A layer that cost nothing beyond the bare callable: the service is all views.
    ({"flow": 4.0, "canned": 0.5, "service": 0.5, "flask": 0.5, "wsgi": 0.5},
     {"layer": 0.0, "flask": 0.0, "hooks": 0.0, "client": 0.0, "views": 3.5, "bare": 1.0}),
    # Counts a few instructions under the bare callable's (noise): no negative part.
    ({"flow": 4.0, "canned": 0.49, "service": 0.49, "flask": 0.48, "wsgi": 0.5},
     {"layer": 0.0, "flask": 0.0, "hooks": 0.0, "client": 0.0, "views": 3.5, "bare": 1.0}),
    # A bare Flask app counted above the service's (noise): its part is the whole layer.
    ({"flow": 4.0, "canned": 1.0, "service": 1.0, "flask": 1.2, "wsgi": 0.5},
     {"layer": 0.5, "flask": 0.5, "hooks": 0.0, "client": 0.5, "views": 2.5,
      "bare": 3.0 / 3.5}),
])
def test_the_flow_is_split_by_the_differences_of_the_counts(
        counted: dict[str, float], split: dict[str, float]) -> None:
    assert shares(counted) == pytest.approx(split)


def test_the_printed_split_follows_the_counts(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    given = {"flow": 5e6, "canned": 0.6e6, "service": 1.5e6, "flask": 1.1e6, "wsgi": 0.1e6}
    asked: list[tuple[Path, int, str]] = []

    def fake_count(source: Path, flows: int, *, requests: str = "flow") -> float:
        asked.append((source, flows, requests))
        return given[requests]

    monkeypatch.setattr(bench.layers, "count", fake_count)
    assert main(["--flows", "7", "--rounds", "0"]) == 0
    out = capsys.readouterr().out
    assert asked == [(ROOT, 7, kind) for kind in KINDS]  # every kind, this checkout
    assert "the plain login flow (authorize, token, userinfo)" in out
    assert re.search(r"^three calls of a bare WSGI callable +0\.100 M instructions", out, re.M)
    assert ("of the flow: the request layer 1.400 M (28.0%; Flask and werkzeug 1.000 M, "
            "the service's hooks 0.400 M), its client 0.500 M (10.0%), the views and their "
            "stores 3.000 M (60.0%)") in out
    # The service's part: 5.0 - 0.5 (client) = 4.5 M; without the layer, 3.1 M.
    assert "the service without its request layer: 0.689x its instructions" in out
    assert "timed:" not in out  # --rounds 0: the counts only


def test_the_timed_rounds_rotate_the_kinds_and_split_the_medians(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench.layers, "count", lambda source, flows, *, requests: 1e6)
    times = {"flow": [3.0, 2.0, 2.5], "canned": [0.2, 0.2, 0.2], "service": [0.5, 0.4, 0.6],
             "flask": [0.3, 0.3, 0.3], "wsgi": [0.0, 0.0, 0.0]}
    ran: list[tuple[str, int]] = []

    def fake_cpu_ms(kind: str, flows: int) -> float:
        ran.append((kind, flows))
        return times[kind][sum(1 for k, _ in ran if k == kind) - 1]

    monkeypatch.setattr(bench.layers, "cpu_ms", fake_cpu_ms)
    assert main(["--flows", "1", "--rounds", "3", "--timed-flows", "9"]) == 0
    out = capsys.readouterr().out
    kinds = list(KINDS)
    # Each round times every kind once, the first of the round moving on by one.
    assert [k for k, _ in ran] == kinds + kinds[1:] + kinds[:1] + kinds[2:] + kinds[:2]
    assert {flows for _, flows in ran} == {9}
    assert re.search(r"^the plain login flow .* +2\.500 ms  \(rounds 3\.000, 2\.000, 2\.500\)$",
                     out, re.M), out
    assert ("of the flow: the request layer 0.500 ms (20.0%; Flask and werkzeug 0.300 ms, "
            "the service's hooks 0.200 ms), its client 0.200 ms (8.0%), the views and their "
            "stores 1.800 ms (72.0%)") in out
    assert "the service without its request layer: 0.783x its CPU time" in out


def test_a_timed_kind_is_the_cpu_time_its_child_printed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def fake_run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 0, "warming up\n40 flows, 1.234 ms CPU "
                                           "per flow\n", "")

    monkeypatch.setattr(bench.layers.subprocess, "run", fake_run)
    assert cpu_ms("canned", 40, warmup=7) == 1.234
    (argv,) = ran
    assert argv[argv.index("--requests") + 1] == "canned"
    assert argv[argv.index("--flows") + 1] == "40" and argv[argv.index("--warmup") + 1] == "7"


def test_a_timed_child_that_fails_is_reported() -> None:
    with pytest.raises(SystemExit, match="the no-such-kind flows failed"):
        cpu_ms("no-such-kind", 1, warmup=0)
