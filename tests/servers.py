"""Real servers for tests, started on free loopback ports.

A missing server binary skips the tests that need it on a developer's machine
and fails them in CI (``CI`` set), where `make test` must have installed it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The node programs of the interop tests, with their package.json and lockfile.
INTEROP = Path(__file__).resolve().parent / "interop"


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: `make test` installs Debian's {package}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def interop_node() -> str:
    """node, with tests/interop's packages installed from the lockfile (``npm ci``)
    when any of them is missing (node_modules is not in git)."""
    node = require_binary("node", "nodejs")
    npm = require_binary("npm", "npm")
    wanted = json.loads((INTEROP / "package.json").read_text())["dependencies"]
    if not all((INTEROP / "node_modules" / name / "package.json").is_file() for name in wanted):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S603
                       cwd=INTEROP, check=True, timeout=600)
    return node


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on 127.0.0.1; yields its URL."""
    binary = require_binary("redis-server", "redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary path
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", workdir, "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
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
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], what: str,
                       timeout: float = 60) -> bytes:
    """Poll ``url`` until it answers 200 (returns the body); fail with the process output
    if ``proc`` exits or ``timeout`` passes first."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return bytes(resp.read())
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"{what} did not start: {output[-2000:]}")
            time.sleep(0.2)


def signing_keys_template(path: Path) -> Path:
    """A SQLite file holding freshly generated provider keys, to copy per test
    (RSA key generation is slow; copying a file is not)."""
    from eid.oidc import KeyStore
    from eid.storage import SqliteDurableStore

    store = SqliteDurableStore(path)
    KeyStore(store)
    store.close()
    return path
