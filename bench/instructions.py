"""Instructions per login flow, counted by callgrind: a figure a shared, noisy machine
does not move, for telling what a change to the service's own code bought.

    python -m bench.instructions                   # this checkout, 200 flows
    python -m bench.instructions --baseline DIR    # and another checkout, with the ratio
    python -m bench.instructions --redis --postgres  # short-lived state in Redis, durable in PG
    python -m bench.instructions --keep DIR        # keep callgrind's files for callgrind_annotate
    python -m bench.instructions --quick           # smoke run without valgrind (a test)

Each checkout's app runs in a child process (``bench/_inprocess.py``: test mode,
embedded stores, environs shaped as granian's, the plain flow of :mod:`bench.flows`)
under ``valgrind --tool=callgrind --instr-atstart=no``; instrumentation is turned on
(``callgrind_control -i on``) only after start-up and a warm-up, and the child ends
with ``os._exit`` after the last flow, so the count is the flows', divided by their
number (the checkpoint signer, which runs on a clock, is off). ``PYTHONHASHSEED=0``
keeps dictionaries the same from run to run: the same code and inputs give the same
count to within a few thousandths.

This counts the Python process's work only: not the kernel (the fsyncs of the durable
store, the sockets), not a WSGI server's, not waiting, and with ``--redis``/``--postgres``
not the servers' (throw-away ones, started for the run and shared by both checkouts, each
checkout on a database of its own): only what the client libraries and the service spend
talking to them. :mod:`bench.flows` measures the rest, against node's oidc-provider; this
tells which of two versions of the code does less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Final

import psycopg
from psycopg import sql

from bench._servers import postgres_server, redis_server

__all__ = ["count", "main"]

ROOT: Final = Path(__file__).resolve().parents[1]
DRIVER: Final = Path(__file__).resolve().with_name("_inprocess.py")
#: Where the throw-away servers run: a count is of the child's instructions only, so
#: their core does not change it.
_SERVERS_CORE: Final = 0


def _fresh_database(url: str, name: str) -> str:
    """The URL of a new, empty database ``name`` on the server of ``url``."""
    database = name.replace("-", "_")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return url.rsplit("/", 1)[0] + "/" + database


def _callgrind_total(folder: Path) -> int:
    total = 0
    for out in folder.glob("callgrind.out.*"):
        for line in out.read_text(errors="replace").splitlines():
            if line.startswith("summary:"):
                total += int(line.split()[1])
    return total


def count(source: Path, flows: int, *, timeout: float = 1800,
          env: Mapping[str, str] | None = None, keep: Path | None = None) -> float:
    """Instructions per flow of the checkout in ``source``, under callgrind; ``env`` is
    added to the child's environment (the stores' URLs), ``keep`` receives callgrind's
    output files."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if valgrind is None or control is None:
        raise SystemExit("valgrind is needed (Debian's valgrind package)")
    with tempfile.TemporaryDirectory(prefix="eid-bench-callgrind-") as tmp:
        folder = Path(tmp)
        ready, go = folder / "ready", folder / "go"
        env = {**os.environ, **(env or {}), "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
        child = subprocess.Popen(  # noqa: S603 - fixed arguments
            [valgrind, "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={folder}/callgrind.out.%p",
             # By path, not -m: the app comes from ``source`` (PYTHONPATH), the driver
             # from this checkout (a baseline may predate it).
             sys.executable, str(DRIVER), "--flows", str(flows),
             "--instance", str(folder / "instance"), "--ready", str(ready), "--go", str(go)],
            cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        try:
            while not ready.exists():
                if child.poll() is not None or time.monotonic() > deadline:
                    said = child.stdout.read().decode(errors="replace") if child.stdout else ""
                    raise SystemExit(f"the flows did not start in {source}:\n{said[-3000:]}")
                time.sleep(0.2)
            subprocess.run([control, "-i", "on", ready.read_text(encoding="ascii")],  # noqa: S603
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            go.touch()
            out, _ = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if child.returncode != 0:
            raise SystemExit(f"the flows failed in {source}:\n{out.decode(errors='replace')}")
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for out_file in folder.glob("callgrind.out.*"):
                shutil.copy(out_file, keep / out_file.name)
        return _callgrind_total(folder) / flows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=200, help="counted flows (default 200)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also count the checkout in DIR (git archive REV | tar -x -C DIR)")
    parser.add_argument("--redis", action="store_true",
                        help="short-lived state in a throw-away redis-server")
    parser.add_argument("--postgres", action="store_true",
                        help="the durable store and the registry in a throw-away PostgreSQL")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="copy callgrind's output files to DIR/<checkout> (for "
                        "callgrind_annotate --inclusive=yes)")
    parser.add_argument("--quick", action="store_true",
                        help="a few flows without valgrind: checks the harness, counts nothing")
    args = parser.parse_args(argv)
    if args.flows < 1:
        parser.error("--flows must be positive")
    if args.quick:
        return subprocess.call([sys.executable, str(DRIVER), "--flows", "3",  # noqa: S603
                                "--warmup", "1"], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    sources = {"eid": ROOT, **({"eid-baseline": args.baseline.resolve()} if args.baseline else {})}
    stores = (f"{'Redis' if args.redis else 'memory'} + "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"Python {sys.version.split()[0]}; callgrind; {args.flows} plain flows in process "
          f"after a warm-up ({stores})")
    counted = {}
    with ExitStack() as stack:
        env: dict[str, str] = {}
        if args.redis:
            env["EID_REDIS_URL"], _ = stack.enter_context(redis_server(core=_SERVERS_CORE))
        if args.postgres:
            env["EID_DATABASE_URL"], _ = stack.enter_context(postgres_server(core=_SERVERS_CORE))
        for name, source in sources.items():
            if args.postgres:  # each checkout starts on an empty database of its own
                env["EID_DATABASE_URL"] = _fresh_database(env["EID_DATABASE_URL"], name)
            counted[name] = count(source, args.flows, env=env,
                                  keep=args.keep / name if args.keep else None)
            print(f"{name:<12} {counted[name] / 1e6:8.3f} M instructions per flow  ({source})")
    if args.baseline:
        print(f"eid/eid-baseline: {counted['eid'] / counted['eid-baseline']:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
