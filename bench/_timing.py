"""Interleaved CPU-time measurement for comparing implementations on a shared machine.

Wall-clock ratios swing on a busy host, and even CPU time drifts (frequency scaling, cache
pressure from neighbours). So contenders are measured in short alternating slices: every round
runs one batch of each contender, in an order that rotates from round to round, and the ratio
to the baseline is taken *within* each round, where all contenders saw the same conditions.
The median over rounds is then robust to the rounds a neighbour disturbed.

    result = interleaved({"mine": f, "floor": g}, baseline="floor", rounds=15, batch=500)
    result.rates["mine"], result.median_ratio["mine"]
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Measurement", "interleaved", "rotated"]


@dataclass(frozen=True, slots=True)
class Measurement:
    """Per-contender results of :func:`interleaved` (rates in calls per CPU second)."""

    baseline: str
    #: Median rate over the rounds.
    rates: dict[str, float]
    #: Each round's rate.
    round_rates: dict[str, list[float]]
    #: Each round's rate divided by the baseline's rate in the same round.
    ratios: dict[str, list[float]]
    #: Median of :attr:`ratios` (1.0 for the baseline).
    median_ratio: dict[str, float]


def rotated(names: list[str], round_number: int) -> list[str]:
    """``names`` in round ``round_number``'s order: rotated by one each round, so that no
    contender always runs first (or right after another)."""
    shift = round_number % len(names)
    return names[shift:] + names[:shift]


def _slice(fn: Callable[[], object], batch: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(batch):
        fn()
    return clock() - start


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    *,
    baseline: str,
    rounds: int = 15,
    batch: int = 500,
    warmup: int = 1,
    clock: Callable[[], float] = time.process_time,
    disable_gc: bool = True,
) -> Measurement:
    """Time each zero-argument callable in interleaved slices and compare it to ``baseline``.

    :param contenders: name -> callable; each call is one operation.
    :param baseline: the name every ratio is relative to.
    :param rounds: measured rounds (the median is taken over them).
    :param batch: calls per contender per round; make a slice last a few milliseconds so the
        clock's resolution and the loop's overhead do not matter.
    :param warmup: unmeasured rounds first (caches, lazy imports, branch predictors).
    :param clock: defaults to :func:`time.process_time` (CPU time of this process).
    :param disable_gc: like :mod:`timeit`, keep the cyclic collector out of the slices.
    :raises ValueError: on an unknown baseline or non-positive counts.
    """
    names = list(contenders)
    if baseline not in contenders:
        raise ValueError(f"baseline {baseline!r} is not a contender")
    if rounds < 1 or batch < 1 or warmup < 0:
        raise ValueError("rounds and batch must be positive, warmup non-negative")
    round_rates: dict[str, list[float]] = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        for r in range(warmup + rounds):
            for name in rotated(names, r):
                elapsed = _slice(contenders[name], batch, clock)
                if r >= warmup:
                    # A slice too short for the clock to see counts as infinitely fast; only
                    # possible with a tiny batch (the --quick smoke run).
                    round_rates[name].append(batch / elapsed if elapsed > 0 else float("inf"))
    finally:
        if gc_was_enabled:
            gc.enable()
    base = round_rates[baseline]
    ratios = {
        name: [_ratio(rate, b) for rate, b in zip(rates, base, strict=True)]
        for name, rates in round_rates.items()
    }
    return Measurement(
        baseline=baseline,
        rates={name: statistics.median(rates) for name, rates in round_rates.items()},
        round_rates=round_rates,
        ratios=ratios,
        median_ratio={name: statistics.median(values) for name, values in ratios.items()},
    )


def _ratio(rate: float, base: float) -> float:
    if base == float("inf") or rate == float("inf"):
        return 1.0 if rate == base else (float("inf") if rate == float("inf") else 0.0)
    return rate / base
