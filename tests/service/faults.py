"""Real servers to break on purpose: a redis-server that stops, pauses and comes back on
the same port, and the accept queue of a listening socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port, require_binary


class Redis:
    """A redis-server on 127.0.0.1 that a test may stop, pause, resume and start again."""

    def __init__(self, workdir: str) -> None:
        self.binary = require_binary("redis-server", "redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary path
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self._workdir, "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Gone: connections are refused until :meth:`start`."""
        if self.proc is not None:
            self.resume()
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def pause(self) -> None:
        """Still accepting connections (the kernel does), never answering."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)


@contextmanager
def redis() -> Iterator[Redis]:
    with tempfile.TemporaryDirectory() as workdir:
        server = Redis(workdir)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def accept_queue(port: int) -> int:
    """How many connections to the loopback listener on ``port`` wait to be accepted
    (Linux: a listening socket's ``rx_queue`` in /proc/net/tcp is its accept queue)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    pytest.fail(f"no listener on port {port} in /proc/net/tcp")


def wait_until_accepted(port: int, timeout: float = 20) -> None:
    """Until the server has taken every connection made to ``port`` off its queue."""
    deadline = time.monotonic() + timeout
    while accept_queue(port):
        if time.monotonic() > deadline:
            pytest.fail(f"connections to {port} were not accepted within {timeout} s")
        time.sleep(0.02)


def _socket_inode(local_port: int, remote_port: int) -> int | None:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == local_port \
                and int(fields[2].split(":")[1], 16) == remote_port:
            return int(fields[9])
    return None


def holder_of(server_port: int, client_port: int, pids: list[int]) -> int:
    """Which of ``pids`` holds the server side of the connection from ``client_port``
    (Linux: the socket's inode among each process's descriptors)."""
    inode = _socket_inode(server_port, client_port)
    assert inode, f"no connection {client_port} -> {server_port} in /proc/net/tcp"
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    pytest.fail(f"none of {pids} holds the connection from port {client_port}")
