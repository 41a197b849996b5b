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


def interop_packages() -> Path:
    """tests/interop/node_modules, installed from the lockfile (``npm ci``) when any
    package of package.json is missing (node_modules is not in git)."""
    npm = require_binary("npm", "npm")
    modules = INTEROP / "node_modules"
    wanted = json.loads((INTEROP / "package.json").read_text())["dependencies"]
    if not all((modules / name / "package.json").is_file() for name in wanted):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S603
                       cwd=INTEROP, check=True, timeout=600)
    return modules


def interop_node() -> str:
    """node, with tests/interop's packages installed (:func:`interop_packages`)."""
    node = require_binary("node", "nodejs")
    interop_packages()
    return node


def _redis_binary() -> str:
    return require_binary("redis-server", "redis-server")


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # up, maybe with a password
    except OSError:
        return False


def _start_redis(port: int, workdir: str, *extra: str) -> subprocess.Popen[bytes]:
    """redis-server (or, with ``--sentinel`` in ``extra``, a Sentinel) on 127.0.0.1:``port``,
    answering PING."""
    # A replica's first sync starts at once (Redis 7 waits 5 s for more replicas).
    sync = [] if "--sentinel" in extra else ["--repl-diskless-sync-delay", "0"]
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary path
        [_redis_binary(), *extra, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", workdir, "--protected-mode", "yes", *sync],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _ping(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server {' '.join(extra)} did not start on port {port}")
        time.sleep(0.02)
    return proc


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on 127.0.0.1; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = _start_redis(port, workdir)
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop([proc])


def _cluster_port() -> int:
    # A cluster node also listens on its port + 10000 (the cluster bus).
    while True:
        port = free_port()
        if port + 10000 < 65536:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


@dataclass
class ClusterSet:
    """A Redis Cluster's URL and its nodes' processes, by port."""

    url: str
    nodes: dict[int, subprocess.Popen[bytes]]


@contextmanager
def redis_cluster(*, replicas: int = 0, password: str | None = None) -> Iterator[ClusterSet]:
    """A throw-away Redis Cluster of three primaries (each with ``replicas`` replicas) on
    loopback, created with ``redis-cli --cluster create``, every node asking ``password``
    if given (then in the URL). A node is declared failed after 1 s, and a failed shard
    stops only its own slots (``cluster-require-full-coverage no``, as the README advises)."""
    cli = require_binary("redis-cli", "redis-tools")
    auth = ["--requirepass", password, "--masterauth", password] if password else []
    cli_auth = ["-a", password, "--no-auth-warning"] if password else []
    ports = [_cluster_port() for _ in range(3 * (1 + replicas))]
    with tempfile.TemporaryDirectory() as workdir:
        procs: dict[int, subprocess.Popen[bytes]] = {}
        try:
            for port in ports:
                folder = Path(workdir, str(port))
                folder.mkdir()
                procs[port] = _start_redis(
                    port, str(folder), "--cluster-enabled", "yes", "--cluster-config-file",
                    "nodes.conf", "--cluster-node-timeout", "1000",
                    "--cluster-require-full-coverage", "no", *auth)
            subprocess.run(  # noqa: S603 - fixed arguments
                [cli, *cli_auth, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                 "--cluster-replicas", str(replicas), "--cluster-yes"],
                check=True, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while not all(_cluster_ok([cli, *cli_auth], port) for port in ports):
                if time.monotonic() > deadline:
                    pytest.fail("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.05)
            userinfo = f":{password}@" if password else ""
            yield ClusterSet(f"redis+cluster://{userinfo}"
                             + ",".join(f"127.0.0.1:{p}" for p in ports), procs)
        finally:
            _stop(list(procs.values()))


def _cluster_ok(cli: list[str], port: int) -> bool:
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [*cli, "-p", str(port), "cluster", "info"], capture_output=True, timeout=10,
        check=False)
    return b"cluster_state:ok" in out.stdout


@dataclass
class SentinelSet:
    """A master, its replica and one Sentinel watching them (service ``eidtest``)."""

    url: str
    master: subprocess.Popen[bytes]
    master_port: int
    replica_port: int
    sentinel_port: int


@contextmanager
def redis_sentinel(password: str | None = None) -> Iterator[SentinelSet]:
    """A throw-away master + replica + Sentinel on loopback; the Sentinel declares a silent
    master down after 1 s and promotes the replica (quorum 1). With ``password`` the master
    and replica ask it (the Sentinel itself does not). Yields the set, whose ``url`` is
    ``redis+sentinel://[:<password>@]127.0.0.1:<sentinel>/eidtest/0``."""
    master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    auth = ["--requirepass", password, "--masterauth", password] if password else []
    with tempfile.TemporaryDirectory() as workdir:
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for name in ("master", "replica", "sentinel"):
                Path(workdir, name).mkdir()
            master = _start_redis(master_port, str(Path(workdir, "master")), *auth)
            procs.append(master)
            procs.append(_start_redis(replica_port, str(Path(workdir, "replica")),
                                      "--replicaof", "127.0.0.1", str(master_port), *auth))
            conf = Path(workdir, "sentinel", "sentinel.conf")  # a Sentinel rewrites its file
            conf.write_text(
                f"sentinel monitor eidtest 127.0.0.1 {master_port} 1\n"
                "sentinel down-after-milliseconds eidtest 1000\n"
                "sentinel failover-timeout eidtest 5000\n"
                + (f"sentinel auth-pass eidtest {password}\n" if password else ""))
            procs.append(_start_redis(sentinel_port, str(conf.parent), str(conf),
                                      "--sentinel"))
            userinfo = f":{password}@" if password else ""
            yield SentinelSet(
                f"redis+sentinel://{userinfo}127.0.0.1:{sentinel_port}/eidtest/0",
                master, master_port, replica_port, sentinel_port)
        finally:
            _stop(procs)


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
