"""Real servers for tests, started on free loopback ports.

A missing server binary skips the tests that need it on a developer's machine
and fails them in CI (``CI`` set), where `make test` must have installed it.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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


# --- PostgreSQL ---------------------------------------------------------------
#: The account initdb and postgres run as when the tests run as root (they refuse root);
#: Debian's postgresql package creates it, and `make system-deps` when it is absent.
POSTGRES_ACCOUNT = "postgres"


def postgres_bin() -> Path:
    """The folder holding initdb, pg_ctl and postgres: on PATH, else Debian's
    /usr/lib/postgresql/<version>/bin (the newest version)."""
    found = shutil.which("initdb")
    if found is not None and shutil.which("postgres") is not None:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    if versions:
        return versions[-1].parent
    message = "initdb not found: `make test` installs Debian's postgresql"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (see :func:`postgres_server`)."""

    bin: Path
    folder: Path
    port: int
    user: str | None  # the account the server runs as (None: this process's)
    settings: tuple[str, ...] = ()  # more "name=value" server settings
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of the ``postgres`` database (superuser ``eid``, trusted on loopback)."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://eid@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str | Path) -> None:
        subprocess.run([str(a) for a in args], check=True, user=self.user,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        with (self.folder / "server.log").open("ab") as log:  # the child keeps its own copy
            self._spawn(log)
        self._wait()

    def _spawn(self, log: IO[bytes]) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary path
            [str(self.bin / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={self.folder}",
             # A test cluster is thrown away: durability only costs time here.
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200", "-c", "shared_buffers=64MB",
             *(arg for setting in self.settings for arg in ("-c", setting))],
            user=self.user, stdout=subprocess.DEVNULL, stderr=log,
        )

    def _wait(self) -> None:
        assert self.proc is not None  # started just before
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "server.log").read_text(errors="replace")
                    self.stop()
                    pytest.fail(f"postgres did not start on port {self.port}: {log[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server: SIGINT is PostgreSQL's fast shutdown (clients are cut off)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        """What ``pg_ctl restart -m fast`` does: every client connection is broken."""
        self.stop()
        self.start()

    def create_database(self, name: str, template: str = "template1") -> str:
        """Create database ``name`` (from ``template``); returns its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
        return self.database_url(name)


@contextmanager
def postgres_server(root: str | Path | None = None,
                    settings: tuple[str, ...] = ()) -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL cluster: initdb into a temporary folder (under ``root`` if
    given), the server on a free 127.0.0.1 port with its unix socket in that folder and
    ``settings`` ("name=value") on top of the test defaults; yields it (``.url``), stopped
    and deleted at the end. As root, it runs as the unprivileged
    :data:`POSTGRES_ACCOUNT` (initdb and postgres refuse to run as root), so ``root`` must
    be a folder that account can enter (pytest's ``tmp_path`` is not)."""
    binaries = postgres_bin()
    user = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(POSTGRES_ACCOUNT)
        except KeyError:
            pytest.fail(f"no {POSTGRES_ACCOUNT!r} account to run PostgreSQL as: "
                        "`make system-deps` creates it")
        user = POSTGRES_ACCOUNT
    with tempfile.TemporaryDirectory(prefix="eid-pg-", dir=root) as workdir:
        folder = Path(workdir)
        if user is not None:
            os.chown(folder, account.pw_uid, account.pw_gid)
        server = PostgresServer(binaries, folder, free_port(), user, settings)
        try:
            server._run(binaries / "initdb", "-D", folder / "data", "-U", "eid",
                        "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"initdb failed: {exc.stderr.decode(errors='replace')[-2000:]}")
        server.start()
        try:
            yield server
        finally:
            server.stop()
