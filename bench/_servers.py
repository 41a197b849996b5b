"""The servers :mod:`bench.flows` drives: started pinned to one core, on loopback, measured
by the CPU time of their process tree.

A server runs under ``taskset -c CORE`` in its own session; its CPU time is the
``utime + stime`` of every live process of the tree, read from ``/proc`` (a forking server
such as gunicorn counts its workers too).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ROOT", "Running", "cpu_seconds", "free_port", "node_provider", "postgres_server",
           "redis_server", "service"]

ROOT: Final = Path(__file__).resolve().parents[1]
INTEROP: Final = ROOT / "tests" / "interop"
KEY_FILE: Final = ROOT / "fixtures" / "keys" / "test-signing-keys.json"
_TICK: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Running:
    """A started server: its issuer URL and the roots of the process trees whose CPU time
    counts as its own (the server, and the stores it alone uses)."""

    name: str
    url: str
    pids: tuple[int, ...]
    #: The server's output (for the report when a flow failed).
    log: Path
    #: Of ``pids``, the stores' (Redis, PostgreSQL): their share is reported apart.
    store_pids: tuple[int, ...] = ()

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def store_cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.store_pids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue  # gone meanwhile
    return pids


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its live descendants (proc(5): fields 14 and 15)."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as f:
                # The command name (field 2) may hold spaces: split after its ")".
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICK


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, log: Path,
          timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our loopback URL
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out = log.read_text(errors="replace")
                raise RuntimeError(f"{what} did not start: {out[-2000:]}") from None
            time.sleep(0.2)


@contextmanager
def _process(name: str, argv: Sequence[str], env: Mapping[str, str], port: int, *, core: int,
             cwd: Path = ROOT, also: Sequence[int] = ()) -> Iterator[Running]:
    taskset = shutil.which("taskset")
    pinned = [taskset, "-c", str(core)] if taskset else []
    stack = ExitStack()
    log = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eid-bench-log-"))) / "out"
    # A file, not a pipe: nobody reads the server's output while it serves.
    with stack, log.open("wb") as out:
        proc = subprocess.Popen([*pinned, *argv], env={**os.environ, **env},  # noqa: S603
                                cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        yield from _serving(name, proc, port, log, also)


def _serving(name: str, proc: subprocess.Popen[bytes], port: int, log: Path,
             also: Sequence[int]) -> Iterator[Running]:
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/.well-known/openid-configuration", proc, name, log)
        yield Running(name, url, (proc.pid, *also), log, tuple(also))
    finally:
        # SIGINT, as Ctrl-C: eid serve closes cleanly, and a profiler wrapping it writes out.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def service(*, core: int, env: Mapping[str, str] | None = None,
            serve_args: Sequence[str] = (), store_pids: Sequence[int] = (),
            wrap: Sequence[str] = (), source: Path | None = None,
            name: str = "eid") -> Iterator[Running]:
    """``eid serve`` in test mode on a throw-away instance directory (embedded stores unless
    ``env`` names others, e.g. ``EID_REDIS_URL``; ``store_pids``: their servers, whose CPU
    counts as the service's; ``wrap``: a command to run it under, such as a profiler;
    ``source``: another checkout of the code to serve, e.g. an earlier commit's)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="eid-bench-flows-") as tmp:
        settings = {"EID_TEST_MODE": "1", "EID_INSTANCE": tmp, **(env or {})}
        if source is not None:
            # python -m puts the working directory first on sys.path: that checkout wins.
            settings["PYTHONPATH"] = str(source)
        argv = [*wrap, sys.executable, "-m", "eid", "serve", "--port", str(port), *serve_args]
        with _process(name, argv, settings, port, core=core, also=store_pids,
                      cwd=source or ROOT) as running:
            yield running


@contextmanager
def node_provider(*, core: int) -> Iterator[Running]:
    """node's oidc-provider with the same silent test sign-in (tests/interop/bench_provider.mjs)."""
    node = shutil.which("node")
    if node is None or not (INTEROP / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("node and tests/interop/node_modules are needed (npm ci in "
                           "tests/interop, or tests.servers.interop_node())")
    port = free_port()
    env = {"PORT": str(port), "EID_KEYS": str(KEY_FILE), "NODE_ENV": "production"}
    with _process("node", [node, str(INTEROP / "bench_provider.mjs")], env, port, core=core,
                  cwd=INTEROP) as running:
        yield running


@contextmanager
def redis_server(*, core: int) -> Iterator[tuple[str, int]]:
    """A throw-away redis-server on loopback, pinned beside the service it serves; yields
    its URL and pid."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found (Debian's redis-server)")
    port = free_port()
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="eid-bench-redis-"))
        taskset = shutil.which("taskset")
        pinned = [taskset, "-c", str(core)] if taskset else []
        proc = subprocess.Popen([*pinned, binary, "--bind", "127.0.0.1", "--port", str(port),  # noqa: S603
                                 "--save", "", "--appendonly", "no", "--dir", workdir],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(proc.wait, 10)
        stack.callback(proc.terminate)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", proc.pid


@contextmanager
def postgres_server(*, core: int) -> Iterator[tuple[str, int]]:
    """A throw-away PostgreSQL cluster (tests/servers.py's), pinned beside the service it
    serves, with the durability a deployment has (fsync and synchronous commit on, where
    the tests turn them off); yields its URL and the postmaster's pid (its backends are
    its children, so their CPU counts with it)."""
    from tests.servers import postgres_server as cluster

    durable = ("fsync=on", "synchronous_commit=on", "full_page_writes=on")
    with cluster(settings=durable) as server:
        assert server.proc is not None
        for pid in _tree(server.proc.pid):  # backends forked later inherit it
            os.sched_setaffinity(pid, {core})
        yield server.url, server.proc.pid
