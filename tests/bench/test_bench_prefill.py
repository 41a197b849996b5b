"""The prefill benchmark runs (quick mode; no timing assertions on a shared machine)."""

from __future__ import annotations

import pytest

from bench.prefill import main


def test_bench_prefill_quick(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "household of 5" in out
    for name in ("claims_for", "prefill_from_record", "prefill_from_claims", "to_json"):
        assert name in out
