"""``eid serve``'s default server: granian (Rust HTTP, its WSGI interface) on the bound socket.

The same promises as the gunicorn server (:mod:`service.production`), kept here so:

* The socket :class:`Server` bound is served as it is (binding stays first, port 0
  works): granian's process manager is given a holder of that descriptor instead of
  binding an address of its own, and the forked workers inherit it.
* The app is built in each worker after the fork, by granian's callback loader; a
  worker ends when its master dies (:func:`_die_with`).
* ``SIGTERM`` stops gracefully: the workers stop accepting and finish what they
  accepted, within ``graceful_timeout``; the process exits 0. A worker that dies is
  replaced (``respawn_failed_workers``); one that cannot build the app prints the
  error as ``eid`` does and exits 4, and granian, seeing the crash loop, stops.
* Access lines carry the path, never the query string (:func:`access_lines`).
* Workers share metrics through prometheus_client's multiprocess mode (the directory
  named to each worker through granian's ``env_files``).

granian 2.8 has no public "serve this descriptor" setting: ``_init_shared_socket``
is its hook for where the listening socket comes from (the version is pinned in
pyproject.toml, and tests/service/test_serving_granian.py checks the promises).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from granian._granian import SocketHolder  # granian.net's name for it, not re-exported
from granian.constants import Interfaces
from granian.server.mp import MPServer

from eid.errors import EidError
from service.production import METRICS_DIR_VARIABLE, Workers, metrics_directory
from service.serving import Server, WsgiApp

__all__ = ["access_lines", "serve_granian"]

#: What stays as it is when the decoded path is percent-encoded again (RFC 3986 §3.3
#: pchar and "/", plus the brackets gunicorn also leaves): the line reads as the
#: request did, and a space, a control character or a "%" is encoded.
_PATH_SAFE = "/:@!$&'()*+,;=[]"

#: An access line stays under PIPE_BUF (4096 on Linux), so one write(2) of it to a pipe
#: is never interleaved with another worker thread's line.
_LONGEST_PATH = 2048

#: The exit status of a worker that could not build the app (gunicorn's for the same).
_APP_LOAD_ERROR = 4

_BACKLOG = 1024

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def access_lines(app: WsgiApp, fd: int = 1) -> WsgiApp:
    """``app``, writing one access line per request to ``fd``:
    ``client [time] "METHOD /path PROTOCOL" status ms``.

    Instead of granian's own access log, which goes through :mod:`logging` (a record,
    a formatter and the handler's lock per request: ~17 µs of CPU a line, more with
    threads waiting on that lock) and hands the path over percent-decoded. Here the
    line is one ``os.write``; the path is encoded again (a ``%0A`` never starts a
    forged line, a ``%1B`` never reaches the operator's terminal) and has no query.
    """

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]
               ) -> Iterable[bytes]:
        began = time.perf_counter()
        status = ["500"]

        def start(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status[0] = code[:3]
            return start_response(code, headers, *args)

        try:
            return app(environ, start)
        finally:
            path = str(environ.get("PATH_INFO") or "/")[:_LONGEST_PATH]
            path = quote(path, safe=_PATH_SAFE)[:_LONGEST_PATH]
            method = quote(str(environ.get("REQUEST_METHOD", "-"))[:16], safe="")
            line = (f'{environ.get("REMOTE_ADDR", "-")} '
                    f'[{time.strftime("%Y-%m-%d %H:%M:%S %z")}] '
                    f'"{method} {path} {environ.get("SERVER_PROTOCOL", "-")}" {status[0]} '
                    f'{(time.perf_counter() - began) * 1000:.1f}ms\n')
            with suppress(OSError):  # stdout gone: no line can be written anywhere
                os.write(fd, line.encode("ascii", "backslashreplace"))

    return logged


class _Granian(MPServer):
    """granian's process manager, listening on an already-bound socket."""

    def __init__(self, fd: int, **options: Any) -> None:
        self._eid_fd = fd
        super().__init__(**options)

    def _init_shared_socket(self) -> None:
        # What granian does where it has no listener specs: a holder of the descriptor,
        # and (MPServer's part) a socket object the forked workers inherit.
        self._ssp = None
        # The stub omits the constructor: (fd, is a Unix socket, backlog).
        self._shd = SocketHolder(self._eid_fd, False, _BACKLOG)  # type: ignore[call-arg,assignment]
        self._sfd = self._eid_fd  # type: ignore[assignment]
        self._sso = socket.socket(fileno=self._eid_fd)
        self._sso.set_inheritable(True)

    def shutdown(self, exit_code: int = 0) -> None:
        if any(w.inner.exitcode == _APP_LOAD_ERROR for w in self.wrks):
            exit_code = _APP_LOAD_ERROR
        super().shutdown(exit_code)  # type: ignore[no-untyped-call]


def _die_with(master: int) -> None:
    """End this worker (SIGTERM: gracefully) when ``master`` dies, as gunicorn's do.

    granian's workers do not watch their master: one killed (SIGKILL, the OOM killer)
    left its worker serving, holding the port, so the supervisor's restart could not
    bind it. PR_SET_PDEATHSIG (prctl(2)) has the kernel send the signal; the check
    after it covers a master that died before the call.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != master:
        os._exit(0)


def _worker_loader(app_factory: Callable[[Path], WsgiApp], metrics_dir: Path,
                   access_log: bool) -> Callable[[], WsgiApp]:
    master = os.getpid()

    def load() -> WsgiApp:
        _die_with(master)
        # granian put the variable prometheus_client reads its multiprocess directory
        # from into this worker's environment (env_files), before the app imports it; an
        # operator's own value would win there (no override), and then the workers'
        # values would not be where /metrics sums them.
        if os.environ.get(METRICS_DIR_VARIABLE) != str(metrics_dir):
            print(f"error: invalid_setting: {METRICS_DIR_VARIABLE} is set; eid serve "
                  "makes the metrics directory itself", file=sys.stderr, flush=True)
            os._exit(_APP_LOAD_ERROR)
        try:
            app = app_factory(metrics_dir)
        except EidError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            os._exit(_APP_LOAD_ERROR)  # no traceback, no cleanup of the master's state
        return access_lines(app) if access_log else app
    return load


def serve_granian(server: Server, app_factory: Callable[[Path], WsgiApp],
                  workers: Workers, *, access_log: bool = True,
                  graceful_timeout: float = 30) -> None:
    """Serve ``server``'s socket with granian until ``SIGTERM`` (or ``SIGINT``).

    ``app_factory(metrics_dir)`` runs in each worker, after the fork. Ends the
    process through ``SystemExit``: 0 after a graceful stop, 4 when the app
    cannot be built.
    """
    fd = server.hand_over()
    # Accepted connections inherit it: without it a response written in two parts
    # waits on the client's delayed ACK (Nagle), ~40 ms a request.
    listener = socket.socket(fileno=os.dup(fd))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.close()
    with metrics_directory() as metrics_dir:
        # Read by granian in each worker (python-dotenv), as gunicorn's raw_env: the
        # master's environment is left as it was.
        worker_env = metrics_dir / "worker.env"
        worker_env.write_text(f"{METRICS_DIR_VARIABLE}={metrics_dir}\n", encoding="utf-8")
        granian = _Granian(
            fd, target="eid-serve", interface=Interfaces.WSGI, workers=workers.processes,
            blocking_threads=workers.threads, backlog=_BACKLOG,
            # Requests granian may hold for the threads: enough that a burst queues in
            # the worker instead of being refused.
            backpressure=max(64, 4 * workers.threads),
            log_access=False,  # access_lines writes them
            workers_kill_timeout=max(1, int(graceful_timeout)),
            respawn_failed_workers=True, websockets=False, env_files=[worker_env])
        granian.serve(target_loader=_worker_loader(app_factory, metrics_dir, access_log),
                      wrap_loader=False)
