"""``python -m bench.fapi`` runs end to end (a smoke test: no timing is asserted)."""

from __future__ import annotations

import pytest

from bench.fapi import COLUMNS, CONTENDERS, contenders, main, service

HEADER = ["contender", "flows", "flows/s", "CPU ms/flow", "rate/plain", "CPU/plain", "+CPU ms"]


def _table(out: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("contender "))
    rows = {cells[0]: cells for cells in
            ([c.strip() for c in line.split("|")] for line in lines if "|" in line)}
    return [c.strip() for c in header.split("|")], rows


def test_quick_run_prints_every_contender_beside_the_plain_flow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--quick"]) == 0
    header, rows = _table(capsys.readouterr().out)
    assert header == HEADER == [name for name, _ in COLUMNS]
    assert set(rows) - {"contender"} == set(CONTENDERS)
    for name in CONTENDERS:
        cells = rows[name]
        # One check flow, then 2 rounds x 1 flow: each completed (a failed flow raises).
        assert cells[1] == "3"
        assert cells[2].replace(",", "").isdigit() or cells[2] == "inf"
        assert cells[4].endswith("x") and cells[5].endswith("x")
    assert rows["plain"][4] == "1.00x" and rows["plain"][6] == "+0.00"


def test_profile_option_profiles_the_plain_and_fapi_flows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--quick", "--rounds", "1", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "--- cProfile: 5 plain flows" in out and "--- cProfile: 5 FAPI flows" in out


def test_dpop_contenders_get_dpop_bound_tokens_and_the_others_bearer() -> None:
    with service() as app:
        flows, counters = contenders(app)
        kinds = {name: flows[name]().tokens.token_type.lower()  # type: ignore[attr-defined]
                 for name in CONTENDERS}
    assert kinds == {"plain": "bearer", "+PAR": "bearer", "+private_key_jwt": "bearer",
                     "+DPoP": "dpop", "FAPI": "dpop", "FAPI+JWE": "dpop"}
    assert all(c == [2] for c in counters.values())
