"""Instructions per login flow, counted by callgrind: a figure a shared, noisy machine
does not move, for telling what a change to the service's own code bought.

    python -m bench.instructions                   # this checkout, 200 flows
    python -m bench.instructions --baseline DIR    # and another checkout, with the ratio
    python -m bench.instructions --redis --postgres  # short-lived state in Redis, durable in PG
                                                   # (and the servers' CPU time per flow)
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
talking to them. What the servers spend is timed after the counts, in runs of their own
at full speed (``--server-rounds`` interleaved rounds of ``--server-flows`` flows per
checkout, the same driver without valgrind): ``utime + stime`` of their process trees
from /proc over the flows, per flow, while the child is still connected (a PostgreSQL
backend's time ends with its connection). A time, not a count, so noisier (the clock
ticks every 10 ms), but it shows what a change asks of the servers, which callgrind does
not see. :mod:`bench.flows` measures the rest, against node's oidc-provider; this tells
which of two versions of the code does less.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from statistics import median
from typing import Final

import psycopg
from psycopg import sql

from bench._args import non_negative, positive
from bench._servers import cpu_seconds, postgres_server, redis_server
from bench._timing import rotated

__all__ = ["SPENT_LINE", "count", "main", "server_time"]

ROOT: Final = Path(__file__).resolve().parents[1]
DRIVER: Final = Path(__file__).resolve().with_name("_inprocess.py")
#: Where the throw-away servers run: a count is of the child's instructions only, so
#: their core does not change it.
_SERVERS_CORE: Final = 0
#: Where the flows run while the servers' time is taken: not beside them.
_FLOWS_CORE: Final = 1
#: The child's line after its last flow (bench/_inprocess.py), its figure the group.
SPENT_LINE: Final = r"^\d+ flows, ([0-9.]+) ms CPU per flow$"
_COUNTED: Final = re.compile(SPENT_LINE.encode(), re.M)


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


def _until_counted(child: subprocess.Popen[bytes], deadline: float) -> bytes:
    """The child's output up to its line of CPU time per flow, printed after the flows
    (or up to its end, when it fails first).

    :raises SystemExit: no such line by ``deadline`` (``time.monotonic()``).
    """
    assert child.stdout is not None
    fd, said = child.stdout.fileno(), b""
    while select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(fd, 65536)  # the pipe itself: nothing left in a reader's buffer
        said += chunk
        if not chunk or _COUNTED.search(said):
            return said
    raise SystemExit(f"the flows did not end in time:\n{said.decode(errors='replace')[-3000:]}")


def _drive(source: Path, flows: int, folder: Path, *, env: Mapping[str, str] | None,
           timeout: float, servers: Mapping[str, int], wrap: Sequence[str] = (),
           armed: Callable[[str], None] = lambda pid: None,
           requests: str = "flow") -> dict[str, float]:
    """Run ``flows`` flows of the checkout in ``source`` in a child (under ``wrap``), call
    ``armed(pid)`` once it is warm, and return each server's CPU ms per flow over them;
    ``requests``: what a flow is (``bench/_inprocess.py --requests``)."""
    ready, go = folder / "ready", folder / "go"
    env = {**os.environ, **(env or {}), "PYTHONHASHSEED": "0", "PYTHONPATH": str(source)}
    child = subprocess.Popen(  # noqa: S603 - fixed arguments
        # By path, not -m: the app comes from ``source`` (PYTHONPATH), the driver from
        # this checkout (a baseline may predate it).
        [*wrap, sys.executable, str(DRIVER), "--flows", str(flows),
         "--instance", str(folder / "instance"), "--ready", str(ready), "--go", str(go),
         "--requests", requests],
        cwd=source, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    try:
        while not ready.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                said = child.stdout.read().decode(errors="replace") if child.stdout else ""
                raise SystemExit(f"the flows did not start in {source}:\n{said[-3000:]}")
            time.sleep(0.2)
        armed(ready.read_text(encoding="ascii"))
        before = {name: cpu_seconds(pid) for name, pid in servers.items()}
        go.touch()
        # The child waits, still connected, for its stdin to end.
        head = _until_counted(child, deadline)
        server_ms = {name: (cpu_seconds(pid) - before[name]) * 1000 / flows
                     for name, pid in servers.items()}
        out, _ = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode != 0:
        raise SystemExit(f"the flows failed in {source}:\n{(head + out).decode(errors='replace')}")
    return server_ms


def count(source: Path, flows: int, *, timeout: float = 1800,
          env: Mapping[str, str] | None = None, keep: Path | None = None,
          requests: str = "flow") -> float:
    """Instructions per flow of the checkout in ``source``, under callgrind; ``env`` is
    added to the child's environment (the stores' URLs), ``keep`` receives callgrind's
    output files, ``requests`` says what a flow is (``bench/_inprocess.py --requests``:
    the plain login flow by default)."""
    valgrind, control = shutil.which("valgrind"), shutil.which("callgrind_control")
    if valgrind is None or control is None:
        raise SystemExit("valgrind is needed (Debian's valgrind package)")
    with tempfile.TemporaryDirectory(prefix="eid-bench-callgrind-") as tmp:
        folder = Path(tmp)

        def instrument(pid: str) -> None:
            subprocess.run([control, "-i", "on", pid],  # noqa: S603 - fixed arguments
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        _drive(source, flows, folder, env=env, timeout=timeout, servers={},
               wrap=[valgrind, "--tool=callgrind", "--instr-atstart=no",
                     f"--callgrind-out-file={folder}/callgrind.out.%p"], armed=instrument,
               requests=requests)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for out_file in folder.glob("callgrind.out.*"):
                shutil.copy(out_file, keep / out_file.name)
        return _callgrind_total(folder) / flows


def server_time(source: Path, flows: int, servers: Mapping[str, int], *,
                env: Mapping[str, str] | None = None, timeout: float = 600
                ) -> dict[str, float]:
    """Each server's CPU ms per flow while the checkout in ``source`` runs ``flows``
    flows at full speed, without valgrind (under it, the run is fifty times longer and
    the servers' own background work would be billed to the flows)."""
    taskset = shutil.which("taskset")
    pinned = [taskset, "-c", str(_FLOWS_CORE)] if taskset else []
    with tempfile.TemporaryDirectory(prefix="eid-bench-servers-") as tmp:
        return _drive(source, flows, Path(tmp), env=env, timeout=timeout, servers=servers,
                      wrap=pinned)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=positive, default=200, help="counted flows (default 200)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also count the checkout in DIR (git archive REV | tar -x -C DIR)")
    parser.add_argument("--redis", action="store_true",
                        help="short-lived state in a throw-away redis-server")
    parser.add_argument("--postgres", action="store_true",
                        help="the durable store and the registry in a throw-away PostgreSQL")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="copy callgrind's output files to DIR/<checkout> (for "
                        "callgrind_annotate --inclusive=yes)")
    parser.add_argument("--server-rounds", type=non_negative, default=5, metavar="N",
                        help="with --redis/--postgres: rounds that time the servers' CPU per "
                        "flow (default 5; 0: none)")
    parser.add_argument("--server-flows", type=positive, default=1000, metavar="N",
                        help="flows per checkout and round of that timing (default 1000)")
    parser.add_argument("--quick", action="store_true",
                        help="a few flows without valgrind: checks the harness, counts nothing")
    args = parser.parse_args(argv)
    if args.quick:
        return subprocess.call([sys.executable, str(DRIVER), "--flows", "3",  # noqa: S603
                                "--warmup", "1"], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    sources = {"eid": ROOT, **({"eid-baseline": args.baseline.resolve()} if args.baseline else {})}
    stores = (f"{'Redis' if args.redis else 'memory'} + "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"Python {sys.version.split()[0]}; callgrind; {args.flows} plain flows in process "
          f"after a warm-up ({stores})")
    counted: dict[str, float] = {}
    with ExitStack() as stack:
        env: dict[str, str] = {}
        servers: dict[str, int] = {}
        if args.redis:
            env["EID_REDIS_URL"], servers["Redis"] = stack.enter_context(
                redis_server(core=_SERVERS_CORE))
        if args.postgres:
            env["EID_DATABASE_URL"], servers["PostgreSQL"] = stack.enter_context(
                postgres_server(core=_SERVERS_CORE))
        envs = {}
        for name, source in sources.items():
            envs[name] = dict(env)
            if args.postgres:  # each checkout starts on an empty database of its own
                envs[name]["EID_DATABASE_URL"] = _fresh_database(env["EID_DATABASE_URL"], name)
            counted[name] = count(source, args.flows, env=envs[name],
                                  keep=args.keep / name if args.keep else None)
            print(f"{name:<12} {counted[name] / 1e6:8.3f} M instructions per flow  ({source})")
        if args.baseline:
            print(f"eid/eid-baseline: {counted['eid'] / counted['eid-baseline']:.3f}x")
        if servers and args.server_rounds:
            _print_server_time(sources, servers, envs, args.server_rounds, args.server_flows)
    return 0


def _print_server_time(sources: Mapping[str, Path], servers: Mapping[str, int],
                       envs: Mapping[str, Mapping[str, str]], rounds: int, flows: int) -> None:
    print(f"servers' CPU per flow (ms), medians of {rounds} interleaved rounds of {flows}"
          " flows at full speed, not under callgrind; the servers on one core, the flows on"
          " the other")
    spent: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
    for number in range(rounds):
        for name in rotated(list(sources), number):
            url = envs[name].get("EID_DATABASE_URL")
            if url:
                # Each run starts right after a checkpoint: after one, the first change
                # to each page writes the whole page to the WAL, and a checkpoint falling
                # inside some runs and not others would be billed to their flows.
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("CHECKPOINT")
            spent[name].append(server_time(sources[name], flows, servers, env=envs[name]))
    for name in sources:
        figures = ", ".join(f"{server} {median(r[server] for r in spent[name]):.3f}"
                            for server in servers)
        print(f"{name:<12} {figures}")
    if "eid-baseline" in sources:
        ratios = []
        for server in servers:
            per_round = [eid[server] / base[server]
                         for eid, base in zip(spent["eid"], spent["eid-baseline"], strict=True)
                         if base[server]]
            shown = ", ".join(f"{r:.2f}" for r in per_round)
            ratios.append(f"{server} {median(per_round):.2f}x (rounds {shown})"
                          if per_round else f"{server} -")
        print(f"eid/eid-baseline: {'; '.join(ratios)}")


if __name__ == "__main__":
    raise SystemExit(main())
