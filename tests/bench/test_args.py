"""The benchmarks' command-line counts: whole numbers in range, or argparse's error."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

import pytest

from bench._args import non_negative, positive


@pytest.mark.parametrize(("parse", "text", "value"), [
    (positive, "1", 1), (positive, "2000", 2000), (non_negative, "0", 0), (non_negative, "7", 7)])
def test_a_count_in_range_is_its_number(parse: Callable[[str], int], text: str,
                                        value: int) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(("parse", "text", "says"), [
    (positive, "0", "must be positive, not 0"),
    (positive, "-3", "must be positive, not -3"),
    (non_negative, "-1", "must not be negative, not -1"),
    (positive, "1.5", "not a whole number: '1.5'"),
    (non_negative, "", "not a whole number: ''"),
])
def test_a_count_out_of_range_is_refused(parse: Callable[[str], int], text: str,
                                         says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        parse(text)


@pytest.mark.parametrize(("benchmark", "argv", "says"), [
    ("bench.fapi", ["--rounds", "0"], "argument --rounds: must be positive, not 0"),
    ("bench.fapi", ["--batch", "-2"], "argument --batch: must be positive, not -2"),
    ("bench.verify", ["--rounds", "0"], "argument --rounds: must be positive, not 0"),
    ("bench.verify", ["--batch", "0"], "argument --batch: must be positive, not 0"),
    ("bench.audit", ["--entries", "0"], "argument --entries: must be positive, not 0"),
    ("bench.population", ["--people", "-5"], "argument --people: must be positive, not -5"),
    ("bench.registry_pg", ["--clients", "0"], "argument --clients: must be positive, not 0"),
    ("bench.instructions", ["--server-rounds", "-1"],
     "argument --server-rounds: must not be negative, not -1"),
    ("bench.instructions", ["--flows", "x"], "argument --flows: not a whole number: 'x'"),
    ("bench.layers", ["--flows", "0"], "argument --flows: must be positive, not 0"),
    ("bench.pauses", ["--rounds", "0"], "argument --rounds: must be positive, not 0"),
])
def test_every_benchmark_refuses_a_count_of_nothing_before_it_runs(
        benchmark: str, argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    # 0 once stood for "the default" in some, and a negative count measured no round.
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(benchmark).main(argv)
    assert stopped.value.code == 2  # argparse's usage error
    assert says in capsys.readouterr().err
