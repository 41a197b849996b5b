"""The population benchmark runs end to end on a tiny registry (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.population import main


def test_bench_population_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--people", "1500", "--workers", "1", "--quiet", "--dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    for figure in ("generation: 1,500 people", "ID lookups", "name + birth-date search"):
        assert figure in out
    assert (tmp_path / "population-1500.sqlite").is_file()
