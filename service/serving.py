"""The one launcher: a WSGI app served on a bound address by werkzeug's threaded server.

Every command (``eid serve``, ``eid mock``, ``eid portal``, ``eid up``) and the
mock-service pytest fixture start their servers here. A :class:`Server` binds
its address first and gets its app after, so the app can be built for the URL
it is really served at (the issuer is the served URL, OIDC Discovery §4.3; a
port 0 is only known once bound).

This is the seam for a production server: a command that moves to gunicorn
replaces its ``Server`` + :func:`serve` lines, and nothing else here changes.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from eid.errors import ConfigurationError

__all__ = ["Server", "WsgiApp", "serve"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Server:
    """``host:port`` bound at construction (port 0: a free one); serves the mounted app.

    :raises ConfigurationError: ``cannot_listen`` when the address cannot be bound
        (in use, not an address of this machine).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app: WsgiApp | None = None
        # Bound here, not by werkzeug: on a bind error werkzeug prints and calls
        # sys.exit(1), which a caller (a test fixture, `eid up`) cannot handle.
        try:
            family, _, _, _, address = socket.getaddrinfo(host, port,
                                                          type=socket.SOCK_STREAM)[0]
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc}",
                                     code="cannot_listen") from exc
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
            try:
                sock.bind(address)
                sock.listen(socket.SOMAXCONN)
            except OSError as exc:
                raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}",
                                         code="cannot_listen") from exc
            # werkzeug serves a duplicate of the descriptor; this one closes on leaving.
            self._server: BaseWSGIServer = make_server(host, port, self._dispatch,
                                                       threaded=True, fd=sock.fileno())
        self.port: int = self._server.port
        shown = f"[{host}]" if ":" in host else host  # RFC 3986 §3.2.2: IPv6 literals in brackets
        self.url = f"http://{shown}:{self.port}"
        self._thread: threading.Thread | None = None

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        assert self._app is not None  # noqa: S101 - start() refuses to serve without an app
        return self._app(environ, start_response)

    def mount(self, app: WsgiApp) -> Server:
        """Serve ``app`` (before :meth:`start`); returns this server."""
        self._app = app
        return self

    def start(self) -> Server:
        """Serve in a daemon thread; returns this server.

        :raises RuntimeError: no app is mounted.
        """
        if self._app is None:
            raise RuntimeError(f"no app mounted on {self.url}")
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
        if thread is not None:
            self._server.shutdown()
            thread.join(timeout=5)
        self._server.server_close()

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
