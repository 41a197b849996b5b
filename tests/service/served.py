"""``eid serve`` as a real process on a free loopback port, for tests.

The command binds port 0 and prints the URL it serves; :func:`eid_serve` reads
it from that banner, keeps collecting the output in a thread (a full pipe would
block the server) and stops the process at the end: ``SIGTERM`` first, as an
operator's supervisor would, then ``SIGKILL`` if it has not stopped.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_BANNER = re.compile(r"eid login service on (http://127\.0\.0\.1:\d+) ")
#: A worker's start, as gunicorn and as granian log it: the pid in group 1 or 2.
_WORKER = re.compile(r"\[INFO\] Booting worker with pid: (\d+)|"
                     r"\[INFO\] Spawning worker-\d+ with PID: (\d+)")


@dataclass
class Served:
    """A running ``eid serve``: its URL, process and output so far."""

    url: str
    proc: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def workers(self) -> list[int]:
        """The pids of the workers booted so far (the server logs each)."""
        return [int(m.group(1) or m.group(2)) for m in _WORKER.finditer(self.output)]

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first match of ``pattern`` in the output, waiting for it to appear."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.output)
            if found:
                return found
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{pattern!r} not in the output of eid serve:\n{self.output[-3000:]}")
            time.sleep(0.05)

    def wait_for_workers(self, count: int, timeout: float = 60) -> list[int]:
        """The pids of the first ``count`` workers gunicorn booted (waits for them)."""
        deadline = time.monotonic() + timeout
        while len(self.workers()) < count:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{count} workers did not boot:\n{self.output[-3000:]}")
            time.sleep(0.05)
        return self.workers()[:count]

    def wait_until_answering(self, timeout: float = 60) -> None:
        """Until a worker answers (the banner comes before any worker has booted)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/.well-known/openid-configuration",
                                            timeout=5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"eid serve did not answer:\n{self.output[-3000:]}")
                time.sleep(0.1)

    def stop(self, timeout: float = 60) -> int:
        """``SIGTERM``, then wait; the exit status (``SIGKILL`` and fail if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            pytest.fail(f"eid serve did not stop on SIGTERM:\n{self.output[-3000:]}")


def serve_env(**variables: str) -> dict[str, str]:
    """This environment without any ``EID_`` variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EID_")}
    env.update(variables)
    return env


@contextmanager
def eid_serve(args: list[str], cwd: Path, env: Mapping[str, str] | None = None,
              timeout: float = 60) -> Iterator[Served]:
    """``eid serve --port 0 ARGS`` in ``cwd``, serving; stopped (``SIGTERM``) at the end."""
    proc = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "eid", "serve", "--port", "0", *args], cwd=cwd,
        env=dict(env) if env is not None else serve_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout

    def collect() -> None:
        for raw in iter(stdout.readline, b""):
            lines.append(raw.decode(errors="replace"))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        served = Served("", proc, lines)
        served.url = served.wait_for(_BANNER.pattern, timeout).group(1)
        served.wait_until_answering(timeout)
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        reader.join(timeout=10)
