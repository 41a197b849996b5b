"""What the request layer costs a login flow: callgrind's count of the plain flow beside
three requests around a view that does nothing, through the service's app, a bare Flask
app and a bare WSGI callable.

    python -m bench.layers               # 200 of each, in process, embedded stores
    python -m bench.layers --rounds 0    # the counts only
    python -m bench.layers --quick       # a few of each without valgrind (a test)

Each kind runs in a child of its own (``bench/_inprocess.py --requests``), counted as
:mod:`bench.instructions` counts the flow (instrumentation on after start-up and a
warm-up; the same environs shaped as granian's). A plain flow is three requests
(authorize, token, userinfo), so three ``GET /healthz`` are one "flow" of the empty
kinds, and the differences split the flow's instructions:

* the request layer: the service's app around an empty view, less a bare WSGI callable
  (Flask, werkzeug and the service's own hooks: metrics, tracing, security headers, the
  body limit, the session's early exit); a lower bound for the endpoints of a flow, whose
  blueprints add hooks of their own (the API's DPoP nonce, the screens' language);
* of which Flask and werkzeug: a bare Flask app, less the bare callable;
* the flow's own client (its PKCE pair, state and nonce, the forms it encodes, the
  answers it parses): the same flow against a bare callable that answers it at once
  (``canned``), less the bare callable; a served server never pays it;
* the views and their stores, signatures and data-access log: the rest.

Instructions are not time (the signature's and SQLite's C code run more of them per
nanosecond than the interpreter), so the same split is then timed: ``--rounds``
interleaved rounds (the order rotating) of ``--timed-flows`` flows of each kind, each
run in a child of its own at full speed on core 1, its CPU time per flow
(``time.process_time``) printed by the child; medians.

It answers one question: how far would a request layer cheaper than Flask take the
flow? ``the service without its request layer`` is the flow less its client and its
layer, as a fraction of the flow less its client (what a server spends on it in
process); bench.flows' served ratio against node divided by it is the most such a layer
could buy on one core.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from statistics import median
from typing import Final

from bench._args import non_negative, positive
from bench._inprocess import REQUESTS
from bench._timing import rotated
from bench.instructions import DRIVER, ROOT, SPENT_LINE, count

__all__ = ["KINDS", "cpu_ms", "main", "run_child", "shares"]

#: ``bench/_inprocess.py --requests`` values, in the order printed, with their lines.
KINDS: Final = {
    "flow": "the plain login flow (authorize, token, userinfo)",
    "canned": "its client against a bare WSGI callable answering it",
    "service": "three GET /healthz through the service's app",
    "flask": "three GET /healthz through a bare Flask app",
    "wsgi": "three calls of a bare WSGI callable",
}


def shares(counted: dict[str, float]) -> dict[str, float]:
    """The flow's instructions (or time) split by the counts of :data:`KINDS` (per
    flow): the request layer, Flask's part of it and the service's hooks, the flow's own
    client, and the views with their stores; ``bare``: the service without its layer, as
    a fraction of the service's part of the flow (all but the client)."""
    # Counts within noise of each other must not give a negative part, nor parts that
    # add up to more than the whole: Flask's part is at most the layer.
    wsgi = counted["wsgi"]
    layer = max(0.0, counted["service"] - wsgi)
    flask = min(layer, max(0.0, counted["flask"] - wsgi))
    client = max(0.0, counted["canned"] - wsgi)
    served = counted["flow"] - client
    views = max(0.0, served - layer - wsgi)
    return {"layer": layer, "flask": flask, "hooks": layer - flask, "client": client,
            "views": views, "bare": (served - layer) / served if served > 0 else 0.0}


if set(KINDS) != set(REQUESTS):  # pragma: no cover - a guard for whoever adds a kind
    raise ImportError("bench.layers is out of step with bench/_inprocess.py's --requests")
_SPENT: Final = re.compile(SPENT_LINE, re.M)
#: Where the timed children run (the other core is free for the rest of the machine).
_TIMED_CORE: Final = 1


def run_child(options: Sequence[str], what: str, *, timeout: float = 600
              ) -> tuple[str, float]:
    """What ``bench/_inprocess.py`` with ``options`` printed, run in a child at full speed
    on core 1 (this checkout, so the same imports as every other kind), and the CPU ms
    per flow it printed last.

    :raises SystemExit: the child failed, or printed no time per flow.
    """
    taskset = shutil.which("taskset")
    pinned = [taskset, "-c", str(_TIMED_CORE)] if taskset else []
    done = subprocess.run([*pinned, sys.executable, str(DRIVER), *options], cwd=ROOT,  # noqa: S603
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=timeout, check=False)
    found = _SPENT.search(done.stdout)
    if done.returncode or found is None:
        raise SystemExit(f"{what} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout, float(found.group(1))


def cpu_ms(kind: str, flows: int, *, warmup: int = 50, timeout: float = 600) -> float:
    """CPU ms per flow of ``flows`` flows of ``kind`` in a child at full speed.

    :raises SystemExit: the child failed, or printed no time.
    """
    _, spent = run_child(["--flows", str(flows), "--warmup", str(warmup), "--requests", kind],
                         f"the {kind} flows", timeout=timeout)
    return spent


def _print_split(counted: dict[str, float], unit: str, scale: float, what: str) -> None:
    split, flow = shares(counted), counted["flow"]

    def part(name: str) -> str:
        return f"{split[name] / scale:.3f} {unit}"
    print(f"of the flow: the request layer {part('layer')} ({split['layer'] / flow:.1%}; "
          f"Flask and werkzeug {part('flask')}, the service's hooks {part('hooks')}), its "
          f"client {part('client')} ({split['client'] / flow:.1%}), the views and their "
          f"stores {part('views')} ({split['views'] / flow:.1%})")
    print(f"the service without its request layer: {split['bare']:.3f}x {what}")


def _timed(rounds: int, flows: int) -> None:
    spent: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for number in range(rounds):
        for kind in rotated(list(KINDS), number):
            spent[kind].append(cpu_ms(kind, flows))
    print(f"timed: {rounds} interleaved rounds of {flows} flows of each kind at full speed "
          f"on core {_TIMED_CORE} (medians, CPU ms per flow)")
    timed = {kind: median(times) for kind, times in spent.items()}
    for kind, what in KINDS.items():
        shown = ", ".join(f"{t:.3f}" for t in spent[kind])
        print(f"{what:<52} {timed[kind]:8.3f} ms  (rounds {shown})")
    _print_split(timed, "ms", 1.0, "its CPU time")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.layers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=positive, default=200,
                        help="counted flows of each kind (default 200)")
    parser.add_argument("--rounds", type=non_negative, default=3,
                        help="interleaved rounds timing each kind after the counts "
                        "(default 3; 0: none)")
    parser.add_argument("--timed-flows", type=positive, default=2000, metavar="N",
                        help="flows of each kind per timed round (default 2000)")
    parser.add_argument("--quick", action="store_true",
                        help="a few of each kind without valgrind: checks the harness, "
                        "counts nothing")
    args = parser.parse_args(argv)
    if args.quick:
        for kind in KINDS:
            print(f"{kind}: {cpu_ms(kind, 3, warmup=1):.3f} ms CPU per flow (quick: a check of "
                  "the harness, not a figure)")
        return 0
    print(f"Python {sys.version.split()[0]}; callgrind; {args.flows} flows of each kind in "
          "process after a warm-up (memory + SQLite)")
    counted: dict[str, float] = {}
    for kind, what in KINDS.items():
        counted[kind] = count(ROOT, args.flows, requests=kind)
        print(f"{what:<52} {counted[kind] / 1e6:8.3f} M instructions per flow")
    _print_split(counted, "M", 1e6, "its instructions")
    if args.rounds:
        _timed(args.rounds, args.timed_flows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
