"""A loopback HTTP server publishing a :class:`TestIssuer`'s discovery document and JWKS,
with faults a tester can switch on mid-test: slow answers, failures, rotation.

Lets a portal's tests exercise its real key fetching (timeouts, outages, an
unknown ``kid`` after rotation) without a network and without waiting long.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from eid.testing.issuer import TestIssuer

__all__ = ["JwksServer"]


class JwksServer:
    """Serves ``/.well-known/openid-configuration`` and ``/jwks`` on 127.0.0.1.

    The issuer's ``issuer`` is set to this server's URL, so discovery matches.
    """

    def __init__(self, issuer: TestIssuer, *, port: int = 0) -> None:
        self.issuer = issuer
        self.delay = 0.0
        self.status = 200
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                time.sleep(server.delay)
                body: Any
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": server.url, "jwks_uri": server.url + "/jwks",
                            "id_token_signing_alg_values_supported": ["ES256", "RS256"]}
                elif self.path == "/jwks":
                    body = server.issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode() if server.status == 200 else b'{"error":"x"}'
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        issuer.issuer = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> JwksServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- faults ------------------------------------------------------------------------
    def slow(self, seconds: float) -> None:
        """Answer every request after ``seconds`` (to trip a client's read timeout)."""
        self.delay = seconds

    def fail(self, status: int = 503) -> None:
        """Answer every request with ``status``."""
        self.status = status

    def heal(self) -> None:
        """Back to prompt, successful answers."""
        self.delay, self.status = 0.0, 200
