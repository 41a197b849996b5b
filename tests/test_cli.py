"""The ``eid`` command's dispatcher and demo."""

from __future__ import annotations

import pytest

from eid.cli import main


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
