"""``eid serve --server gunicorn``: gunicorn's gthread workers on a socket :class:`Server` bound.

The launcher's production half (:mod:`service.serving` is the other): gunicorn
through its Python API (a ``BaseApplication``), serving the already-bound
socket as ``fd://N``, so binding stays first (port 0 works, the issuer is the
served URL) and a bind error stays a ``ConfigurationError``.

* The app is built in each worker after the fork, never preloaded: the
  back-channel sender thread, the key reload and the SQLite connections must
  belong to the process that uses them (a thread does not survive ``fork``; a
  SQLite connection must not cross one).
* ``SIGTERM`` stops gracefully: the master stops the workers, each stops
  accepting and finishes what it accepted within ``graceful_timeout``; the
  process exits 0.
* Access lines carry the path, never the query string (codes, ``state`` and
  tokens travel there), nor the Referer.
* Workers share metrics through prometheus_client's multiprocess mode: a fresh
  directory per run, named to the workers' environment by gunicorn (``raw_env``)
  and to each app by the factory; this module never writes ``os.environ``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.errors import AppImportError
from gunicorn.glogging import Logger

from eid.errors import ConfigurationError, EidError
from service.serving import Server, WsgiApp, access_path

__all__ = ["ACCESS_LOG_FORMAT", "METRICS_DIR_VARIABLE", "Workers", "metrics_directory",
           "serve_production", "usable_cores"]

#: gunicorn's atoms: client, time, method, path (``%(U)s``: no query, see _AccessLog),
#: protocol, status, body bytes, milliseconds. Not ``%(r)s`` (the request line holds the
#: query) nor ``%(f)s`` (the Referer may hold a portal's).
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

#: Threads per worker by default: a request waits on Redis, on a SQLite commit or in
#: scrypt with the GIL released, and the other threads go on meanwhile. 16, not 4: with
#: 4, at 16 concurrent logins on the embedded stores, every thread was often waiting on
#: a commit's fsync while the core idled (546 flows/s x 1.55 ms: the core 85% busy); 16
#: keep it busy, and more writers share each group commit's fsync (bench.flows
#: --eid-only; README, Benchmarks, round 9: 546 -> 679 flows/s, 1.55 -> 1.45 ms of CPU a
#: flow; 32 threads did no better). A deployment whose database shares the service's one
#: core prefers fewer (there the database's CPU is the bottleneck, not the waits).
DEFAULT_THREADS = 16

#: The name prometheus_client reads its multiprocess directory from, in each worker.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def usable_cores() -> int:
    """The cores this process may run on (a ``taskset`` or a container's cpuset counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Workers:
    """How many gunicorn worker processes, and threads in each.

    Short-lived state in memory belongs to one process: a code issued by one
    worker could not be redeemed at another. So without a shared store (Redis)
    there is exactly one worker; with one, a worker per usable core.
    """

    processes: int
    threads: int

    @classmethod
    def plan(cls, *, shared_state: bool, workers: int | None = None,
             threads: int | None = None) -> Workers:
        """Defaults for this machine, or the numbers asked for, checked.

        :raises ConfigurationError: ``invalid_setting``: a number below 1, or more than
            one worker without shared short-lived state.
        """
        processes = workers if workers is not None else \
            (usable_cores() if shared_state else 1)
        count = threads if threads is not None else DEFAULT_THREADS
        if processes < 1 or count < 1:
            raise ConfigurationError("--workers and --threads must be at least 1",
                                     code="invalid_setting")
        if processes > 1 and not shared_state:
            raise ConfigurationError(
                f"--workers {processes} needs EID_REDIS_URL: short-lived state (sessions, "
                "codes, lockout counters) is in memory, one copy per process, so a code "
                "issued by one worker could not be redeemed at another; set EID_REDIS_URL "
                "or serve with --workers 1", code="invalid_setting")
        return cls(processes, count)


class _AccessLog(Logger):  # type: ignore[misc]
    """gunicorn's logger, with ``%(U)s`` the request's own path: still percent-encoded
    (``RAW_URI``), never gunicorn's decoded ``PATH_INFO``, in which a client's ``%0A``
    would start a forged log line and ``%1B`` drive the operator's terminal."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
              ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = access_path(str(environ.get("RAW_URI") or "/"))
        return atoms


class _Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    def __init__(self, options: dict[str, Any], load: Callable[[], WsgiApp]) -> None:
        self._options = options
        self._load = load
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> WsgiApp:
        try:
            return self._load()
        except EidError as exc:
            # What `eid` prints for the same error, and gunicorn stops at once ("App
            # failed to load", exit 4) rather than logging a traceback and booting again.
            raise AppImportError(f"error: {exc}") from exc


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """A fresh owner-only directory for the workers' metrics, removed by the master."""
    owner = os.getpid()
    path = Path(tempfile.mkdtemp(prefix="eid-metrics-"))  # fresh each run, owner-only
    try:
        yield path
    finally:
        # A worker leaves by SystemExit through these frames too; only the master,
        # which made the directory, removes it.
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)


def serve_production(server: Server, app_factory: Callable[[Path], WsgiApp],
                     workers: Workers, *, access_log: bool = True,
                     graceful_timeout: float = 30) -> None:
    """Serve ``server``'s socket with gunicorn until ``SIGTERM`` (or ``SIGINT``).

    ``app_factory(metrics_dir)`` runs in each worker, after the fork; the app
    writes its metrics under ``metrics_dir`` (prometheus_client multiprocess mode).
    gunicorn ends the process through ``SystemExit``: 0 after a graceful stop, 4
    when the app cannot be built (its error printed as ``eid`` prints errors).
    """
    with metrics_directory() as metrics_dir:
        options: dict[str, Any] = {
            "bind": [f"fd://{server.hand_over()}"],
            "worker_class": "gthread",
            "workers": workers.processes,
            "threads": workers.threads,
            "preload_app": False,
            "graceful_timeout": graceful_timeout,
            "accesslog": "-" if access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": _AccessLog,
            "raw_env": [f"{METRICS_DIR_VARIABLE}={metrics_dir}"],
            "proc_name": "eid-serve",
            # gunicorn opens a control socket under $HOME by default: two services
            # on one machine would fight over it, and nothing here uses it.
            "control_socket_disable": True,
        }
        _Gunicorn(options, lambda: app_factory(metrics_dir)).run()
