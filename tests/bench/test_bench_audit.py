"""The data-access log benchmark runs (quick mode; no timing assertions on a shared machine)."""

from __future__ import annotations

import pytest

from bench.audit import main


def test_bench_audit_quick(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    for figure in ("bulk-loaded", "appends/s", "inclusion proof", "consistency proof",
                   "eid audit verify"):
        assert figure in out
