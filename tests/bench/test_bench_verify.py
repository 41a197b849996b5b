"""``python -m bench.verify`` runs end to end (a smoke test: no timing is asserted)."""

from __future__ import annotations

from typing import Any

import pytest

import bench.verify as bench
from bench.verify import ALGORITHMS, COLUMNS, contenders, main
from eid.verify import KeySet, verify_id_token

HEADER = ["alg", "dict verif/s", "KeySet verif/s", "floor verif/s", "pyjwt verif/s",
          "dict/floor", "KeySet/floor", "pyjwt/floor"]


def _table(out: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("alg "))
    rows = {cells[0]: cells for cells in
            ([c.strip() for c in line.split("|")] for line in lines if "|" in line)}
    return [c.strip() for c in header.split("|")], rows


def test_quick_run_prints_both_eid_paths_against_the_floor_for_every_algorithm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--quick"]) == 0
    header, rows = _table(capsys.readouterr().out)
    assert header == HEADER == [name for name, _ in COLUMNS]
    for alg in ALGORITHMS:
        cells = rows[alg]
        assert len(cells) == len(HEADER)
        assert all(c.replace(",", "").isdigit() or c == "inf" for c in cells[1:5])
        assert all(c.endswith("x") for c in cells[5:])


def test_alg_option_limits_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--alg", "EdDSA"]) == 0
    _, rows = _table(capsys.readouterr().out)
    assert set(rows) - {"alg"} == {"EdDSA"}


def test_the_dict_contender_passes_a_jwks_dict_and_the_keyset_one_a_keyset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passed: list[type] = []

    def spy(token: str, **kwargs: Any) -> object:
        passed.append(type(kwargs["jwks"]))
        return verify_id_token(token, **kwargs)

    monkeypatch.setattr(bench, "verify_id_token", spy)
    verifiers = contenders("ES256")  # calls each verifier once, to check it accepts the token
    assert list(verifiers) == ["dict", "KeySet", "floor", "pyjwt"]
    assert passed == [dict, KeySet]
