"""``bench._timing.interleaved``: structure of its results (never a timing assertion)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from bench._timing import interleaved


def test_each_contender_gets_a_rate_and_a_ratio_per_round() -> None:
    calls = {"a": 0, "b": 0}

    def counter(name: str) -> Callable[[], None]:
        def run() -> None:
            calls[name] += 1
        return run

    m = interleaved({"a": counter("a"), "b": counter("b")}, baseline="b", rounds=3, batch=5,
                    warmup=1)
    assert calls == {"a": 20, "b": 20}  # (1 warm-up + 3 rounds) x 5
    assert set(m.rates) == set(m.median_ratio) == {"a", "b"}
    assert all(len(r) == 3 for r in m.ratios.values())
    assert m.median_ratio["b"] == 1.0


def test_order_rotates_between_rounds() -> None:
    order: list[str] = []
    contenders = {name: (lambda n=name: order.append(n)) for name in "xyz"}
    interleaved(contenders, baseline="x", rounds=3, batch=1, warmup=0)
    assert order == ["x", "y", "z", "y", "z", "x", "z", "x", "y"]


def test_ratios_come_from_the_same_round() -> None:
    ticks = itertools.count()
    # A fake clock: every reading advances 1 s, so each slice lasts exactly 1 s.
    m = interleaved({"a": lambda: None, "b": lambda: None}, baseline="a", rounds=2, batch=10,
                    warmup=0, clock=lambda: float(next(ticks)))
    assert m.rates == {"a": 10.0, "b": 10.0}
    assert m.ratios["b"] == [1.0, 1.0]


@pytest.mark.parametrize("kwargs", [{"baseline": "nope"}, {"baseline": "a", "rounds": 0},
                                    {"baseline": "a", "batch": 0}])
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        interleaved({"a": lambda: None}, **kwargs)  # type: ignore[arg-type]
