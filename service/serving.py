"""The one launcher: a socket bound first, then served by werkzeug's threaded server
or by gunicorn (:mod:`service.production`).

Every command (``eid serve``, ``eid mock``, ``eid portal``, ``eid up``) and the
mock-service pytest fixture start their servers here. A :class:`Server` binds
its address first and gets its app after, so the app can be built for the URL
it is really served at (the issuer is the served URL, OIDC Discovery §4.3; a
port 0 is only known once bound).

werkzeug serves the development and test servers (``eid up``, ``eid mock``,
``eid portal``, the pytest fixture): one process, in a thread a test can stop,
with state a test can reach. ``eid serve`` hands the same bound socket to
gunicorn's workers (:func:`service.production.serve_production`).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from eid.errors import ConfigurationError

__all__ = ["Server", "WsgiApp", "access_path", "serve"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def access_path(target: str) -> str:
    """What an access line shows of a request target: its path, never its query
    (codes, ``state``, request URIs and tokens travel there), control characters escaped."""
    path = urlsplit(target).path or "/"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in path)


class _Handler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        target = getattr(self, "path", None)  # unset when the request line was bad
        line = f"{self.command} {access_path(target)} {self.request_version}" \
            if target is not None else "-"
        self.log("info", '"%s" %s %s', line, code, size)


class Server:
    """``host:port`` bound at construction (port 0: a free one); serves the mounted app.

    :raises ConfigurationError: ``cannot_listen`` when the address cannot be bound
        (in use, not an address of this machine).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app: WsgiApp | None = None
        self._host = host
        # Bound here, not by werkzeug or gunicorn: on a bind error werkzeug prints and
        # calls sys.exit(1), gunicorn retries for five seconds and exits; a caller (a
        # test fixture, `eid up`) can handle neither.
        try:
            family, _, _, _, address = socket.getaddrinfo(host, port,
                                                          type=socket.SOCK_STREAM)[0]
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc}",
                                     code="cannot_listen") from exc
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
            sock.bind(address)
            sock.listen(socket.SOMAXCONN)
        except OSError as exc:
            sock.close()
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}",
                                     code="cannot_listen") from exc
        self._socket = sock
        self.port: int = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host  # RFC 3986 §3.2.2: IPv6 literals in brackets
        self.url = f"http://{shown}:{self.port}"
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def fileno(self) -> int:
        """The bound, listening socket's descriptor."""
        return self._socket.fileno()

    def hand_over(self) -> int:
        """Give the listening socket's descriptor to another server (gunicorn serves it
        as ``fd://N`` and closes it when it stops); this one then only forgets it."""
        return self._socket.detach()

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        assert self._app is not None  # noqa: S101 - start() refuses to serve without an app
        return self._app(environ, start_response)

    def mount(self, app: WsgiApp) -> Server:
        """Serve ``app`` (before :meth:`start`); returns this server."""
        self._app = app
        return self

    def start(self) -> Server:
        """Serve with werkzeug's threaded server in a daemon thread; returns this server.

        :raises RuntimeError: no app is mounted.
        """
        if self._app is None:
            raise RuntimeError(f"no app mounted on {self.url}")
        # werkzeug serves a duplicate of the descriptor; ours closes in close().
        self._server = make_server(self._host, self.port, self._dispatch, threaded=True,
                                   request_handler=_Handler, fd=self.fileno())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"eid-server-{self.port}")
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the serving thread ends (:meth:`close` from another thread, Ctrl-C)."""
        thread = self._thread
        if thread is not None:
            thread.join()

    def close(self) -> None:
        """Stop serving (waiting for the serving thread) and release the address."""
        thread, self._thread = self._thread, None
        server, self._server = self._server, None
        if server is not None:
            if thread is not None:
                server.shutdown()
                thread.join(timeout=5)
            server.server_close()
        self._socket.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(*servers: Server) -> None:
    """Serve every server until Ctrl-C, then close them all (the commands' foreground)."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.close()
