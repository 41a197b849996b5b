"""What the cyclic garbage collector stops a login service for, with the app's start-up
objects left in it (as Python starts) and frozen out of it (``gc.freeze()`` once the app
is built, as ``eid serve``'s workers do: ``service.cli``).

    python -m bench.pauses               # 3 rounds of 6000 flows of each
    python -m bench.pauses --quick       # a few flows of each (a test; no figure)

A full collection walks every object the collector tracks and holds the interpreter
lock throughout: every thread of a worker waits, so its length is added to the latency
of every request in flight. Each kind runs in a child of its own
(``bench/_inprocess.py --gc KIND --pauses``: the plain flow in process, embedded stores,
on core 1), which times each of the collector's passes over its flows with
``gc.callbacks`` and, after them, one full ``gc.collect()``. The kinds run in
``--rounds`` interleaved rounds, the order rotating; the table gives the full
collections the flows set off (all rounds), the longest of them (all rounds), and the
medians of the rest. Whether the flows set one off depends on how many objects they
leave behind, so ``one full gc.collect()``, timed in every child, is the figure that
says what such a pause costs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Final

from bench._args import positive
from bench._timing import rotated
from bench.layers import run_child

__all__ = ["KINDS", "Pauses", "main", "measure", "summary"]

#: ``bench/_inprocess.py --gc`` values, in the order printed, with what they are.
KINDS: Final = {"on": "as Python starts it", "frozen": "start-up frozen (eid serve)"}
_PAUSES: Final = re.compile(
    r"^collector: (\d+) full collections of \d+ flows, the longest ([0-9.]+) ms, "
    r"([0-9.]+) ms per flow in all; (\d+) objects tracked; one full collection "
    r"([0-9.]+) ms$", re.M)
_WARMUP: Final = 200


@dataclass(frozen=True, slots=True)
class Pauses:
    """What one child measured."""

    cpu_ms: float  # per flow
    full: int  # full collections the flows set off
    longest_ms: float  # the longest of them (0 when none)
    collector_ms: float  # every pass of the collector, per flow
    tracked: int  # objects the collector tracks after the flows
    one_full_ms: float  # one gc.collect() after the flows


def measure(kind: str, flows: int, *, warmup: int = _WARMUP) -> Pauses:
    """``flows`` plain flows in a child with the collector ``kind``.

    :raises SystemExit: the child failed, or printed no pauses or no time.
    """
    what = f"the flows with the collector {kind}"
    out, spent = run_child(["--flows", str(flows), "--warmup", str(warmup), "--gc", kind,
                            "--pauses"], what)
    found = _PAUSES.search(out)
    if found is None:
        raise SystemExit(f"{what} printed no pauses:\n{out[-3000:]}")
    return Pauses(cpu_ms=spent, full=int(found.group(1)),
                  longest_ms=float(found.group(2)), collector_ms=float(found.group(3)),
                  tracked=int(found.group(4)), one_full_ms=float(found.group(5)))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}x" if b > 0 else "-"


def summary(runs: Sequence[Pauses]) -> Pauses:
    """One kind's rounds as the table gives them: the full collections of all rounds
    and the longest of them; the medians of the rest."""
    return Pauses(cpu_ms=median(p.cpu_ms for p in runs), full=sum(p.full for p in runs),
                  longest_ms=max(p.longest_ms for p in runs),
                  collector_ms=median(p.collector_ms for p in runs),
                  tracked=round(median(p.tracked for p in runs)),
                  one_full_ms=median(p.one_full_ms for p in runs))


def _report(measured: dict[str, list[Pauses]]) -> None:
    print("collector                   | tracked objects | full collections | the longest ms "
          "| collector ms/flow | one full gc.collect() ms | CPU ms/flow")
    on, frozen = summary(measured["on"]), summary(measured["frozen"])
    for kind, row in (("on", on), ("frozen", frozen)):
        print(f"{KINDS[kind]:<27} | {row.tracked:>15,} | {row.full:>16} | "
              f"{row.longest_ms:>14.2f} | {row.collector_ms:>17.4f} | "
              f"{row.one_full_ms:>24.2f} | {row.cpu_ms:>11.3f}")
    by_round = ", ".join(_ratio(f.one_full_ms, o.one_full_ms)
                         for f, o in zip(measured["frozen"], measured["on"], strict=True))
    print(f"frozen/on: one full collection {_ratio(frozen.one_full_ms, on.one_full_ms)}"
          f" (rounds {by_round}); the longest set off by the flows "
          f"{_ratio(frozen.longest_ms, on.longest_ms)}; CPU per flow "
          f"{_ratio(frozen.cpu_ms, on.cpu_ms)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pauses", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=positive, default=3,
                        help="interleaved rounds of each kind (default 3)")
    parser.add_argument("--flows", type=positive, default=6000,
                        help="flows of each kind per round (default 6000)")
    parser.add_argument("--quick", action="store_true",
                        help="one round of a few flows: checks the harness, no figure")
    args = parser.parse_args(argv)
    rounds, flows, warmup = (1, 3, 1) if args.quick else (args.rounds, args.flows, _WARMUP)
    print(f"Python {sys.version.split()[0]}; {rounds} interleaved rounds of {flows} plain "
          f"flows in process per kind after {warmup} (memory + SQLite), each in a child on "
          "core 1; medians, the full collections and the longest of all rounds"
          + (" (quick: a check of the harness, not a figure)" if args.quick else ""))
    measured: dict[str, list[Pauses]] = {kind: [] for kind in KINDS}
    for number in range(rounds):
        for kind in rotated(list(KINDS), number):
            measured[kind].append(measure(kind, flows, warmup=warmup))
    _report(measured)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
