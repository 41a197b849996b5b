"""The PostgreSQL registry benchmark runs end to end on a tiny registry (no timing asserted)."""

from __future__ import annotations

import pytest

from bench.registry_pg import main


def test_bench_registry_pg_quick(capsys: pytest.CaptureFixture[str]) -> None:
    # The server's folder goes in the system temporary directory: pytest's tmp_path is
    # private to root, and the server runs as the postgres account.
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    for figure in ("generation + load: 2,000 people", "size on disk: table", "ID lookups",
                   "server alone", "name + birth-date search"):
        assert figure in out
