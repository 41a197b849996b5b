"""What the request layer costs a login flow: callgrind's count of the plain flow beside
three requests around a view that does nothing, through the service's app, a bare Flask
app and a bare WSGI callable.

    python -m bench.layers               # 200 of each, in process, embedded stores
    python -m bench.layers --quick       # a few of each without valgrind (a test)

Each kind runs in a child of its own (``bench/_inprocess.py --requests``), counted as
:mod:`bench.instructions` counts the flow (instrumentation on after start-up and a
warm-up; the same environs shaped as granian's). A plain flow is three requests
(authorize, token, userinfo), so three ``GET /healthz`` are one "flow" of the others,
and the differences split the flow's instructions:

* the request layer: the service's app around an empty view, less a bare WSGI callable
  (Flask, werkzeug and the service's own hooks: metrics, tracing, security headers, the
  body limit, the session's early exit); a lower bound for the endpoints of a flow, whose
  blueprints add hooks of their own (the API's DPoP nonce, the screens' language);
* of which Flask and werkzeug: a bare Flask app, less the bare callable;
* the rest: the views with their stores, signatures and the data-access log, and the
  harness's own client (the same in every kind, so it cancels in the differences).

It answers one question: how far would a request layer cheaper than Flask take the
flow? ``a flow without its request layer`` is the flow's count less the layer's, as a
fraction of the whole; bench.flows' served ratio against node divided by it is the most
such a layer could buy on one core.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Final

from bench._args import positive
from bench.instructions import DRIVER, ROOT, count

__all__ = ["KINDS", "main", "shares"]

#: ``bench/_inprocess.py --requests`` values, in the order printed, with their lines.
KINDS: Final = {
    "flow": "the plain login flow (authorize, token, userinfo)",
    "service": "three GET /healthz through the service's app",
    "flask": "three GET /healthz through a bare Flask app",
    "wsgi": "three calls of a bare WSGI callable",
}


def shares(counted: dict[str, float]) -> dict[str, float]:
    """The flow's instructions split by the counts of :data:`KINDS` (per flow): the
    request layer, Flask's part of it, and the rest (the views, stores and harness)."""
    # Counts within noise of each other must not give a negative part, nor parts that
    # add up to more than the layer: Flask's part is at most the whole layer.
    layer = max(0.0, counted["service"] - counted["wsgi"])
    flask = min(layer, max(0.0, counted["flask"] - counted["wsgi"]))
    return {"layer": layer, "flask": flask, "hooks": layer - flask,
            "rest": counted["flow"] - layer}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.layers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=positive, default=200,
                        help="counted flows of each kind (default 200)")
    parser.add_argument("--quick", action="store_true",
                        help="a few of each kind without valgrind: checks the harness, "
                        "counts nothing")
    args = parser.parse_args(argv)
    if args.quick:
        for kind in KINDS:
            code = subprocess.call([sys.executable, str(DRIVER), "--flows", "3",  # noqa: S603
                                    "--warmup", "1", "--requests", kind], cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
            if code:
                return code
        return 0
    print(f"Python {sys.version.split()[0]}; callgrind; {args.flows} flows of each kind in "
          "process after a warm-up (memory + SQLite)")
    counted: dict[str, float] = {}
    for kind, what in KINDS.items():
        counted[kind] = count(ROOT, args.flows, requests=kind)
        print(f"{what:<52} {counted[kind] / 1e6:8.3f} M instructions per flow")
    split, flow = shares(counted), counted["flow"]
    print(f"of the flow: the request layer {split['layer'] / 1e6:.3f} M "
          f"({split['layer'] / flow:.1%}; Flask and werkzeug {split['flask'] / 1e6:.3f} M, "
          f"the service's hooks {split['hooks'] / 1e6:.3f} M), the views, stores and "
          f"harness {split['rest'] / 1e6:.3f} M ({split['rest'] / flow:.1%})")
    print(f"a flow without its request layer: {split['rest'] / flow:.3f}x the instructions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
