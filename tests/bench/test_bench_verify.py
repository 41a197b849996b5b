"""``python -m bench.verify`` runs end to end (a smoke test: no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.verify import ALGORITHMS, main


def test_quick_run_prints_a_row_per_algorithm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("alg "))
    assert [c.strip() for c in header.split("|")] == [
        "alg", "eid verif/s", "floor verif/s", "pyjwt verif/s", "eid/floor", "pyjwt/floor"]
    rows = {line.split("|")[0].strip(): line for line in lines if "|" in line}
    for alg in ALGORITHMS:
        cells = [c.strip() for c in rows[alg].split("|")]
        assert len(cells) == 6
        assert cells[4].endswith("x") and cells[5].endswith("x")
