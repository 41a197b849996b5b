"""Plain login flows against the service's WSGI app in this process, for
:mod:`bench.instructions` (run as ``python bench/_inprocess.py`` with the checkout to
measure on ``PYTHONPATH``; the parent counts). Self-contained: it imports only the
service, so it can drive an older checkout.

The app is built as ``eid serve`` builds it (test mode, a throw-away instance: memory
short-lived store, SQLite durable store) and called directly with environs shaped as
granian's (the process environment, ``wsgi.input_terminated``), so what is counted is the
service's own work per flow, without a server, sockets or threads: the authorization
request with the test header, the token request (client_secret_basic, PKCE) and userinfo,
as :func:`bench._load.plain_flow`. The flow's own requests and checks are counted too:
they are the same on both sides of a comparison.

Handshake: after the warm-up the child writes its pid to ``--ready`` and waits for the
file ``--go``; the parent turns callgrind's instrumentation on in between, so start-up and
warm-up are not counted. After the flows it prints their CPU time per flow and waits for
the end of its stdin, so its connections are still open while the parent reads the
servers' CPU time. Without the two files it runs and prints its CPU time per flow.

``--gc frozen`` freezes what start-up made out of the cyclic collector once the app is
built, as ``eid serve``'s workers do (``service.cli``); ``--pauses`` also prints the
collector's pauses over the flows and what one full collection then takes
(:mod:`bench.pauses`).
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

__all__ = ["REQUESTS", "empty_requests", "main", "plain_flow_in_process"]

CITIZEN: Final = "074078000101"  # fixtures/README.md: Nguyễn Văn Hùng, level 2
CLIENT: Final = ("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")
HOST: Final = "127.0.0.1:5000"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
Answer = tuple[int, dict[str, str], bytes]


def _caller(app: WsgiApp) -> Callable[..., Answer]:
    base = {**os.environ, "GATEWAY_INTERFACE": "CGI/1.1", "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": "Granian", "wsgi.errors": sys.stderr,
            "wsgi.input_terminated": True, "wsgi.multiprocess": False,
            "wsgi.multithread": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": HOST}

    def call(method: str, path: str, *, query: str = "",
             headers: Mapping[str, str] | None = None,
             form: Mapping[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        environ = {**base, "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                   "wsgi.input": io.BytesIO(body)}
        if form is not None:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]],
                           exc_info: object = None) -> None:
            answer["status"], answer["headers"] = int(status[:3]), dict(response_headers)

        chunks = app(environ, start_response)
        data = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        return answer["status"], answer["headers"], data
    return call


def plain_flow_in_process(app: WsgiApp) -> Callable[[], None]:
    """One plain flow per call against ``app``; raises when a step does not answer as a
    portal expects."""
    call = _caller(app)
    client_id, secret, redirect_uri = CLIENT
    auth = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def flow() -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
            "scope": "openid profile", "state": state, "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge, "code_challenge_method": "S256"})
        status, headers, body = call("GET", "/authorize", query=query,
                                     headers={"X-Eid-Test-Identity": CITIZEN})
        callback = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            headers.get("Location", "")).query))
        if status != 302 or callback.get("state") != state:
            raise RuntimeError(f"authorize answered {status}: {body[:200]!r}")
        status, _, body = call("POST", "/token", headers={"Authorization": auth}, form={
            "grant_type": "authorization_code", "code": callback["code"],
            "redirect_uri": redirect_uri, "code_verifier": verifier})
        if status != 200:
            raise RuntimeError(f"token answered {status}: {body[:200]!r}")
        token = json.loads(body)["access_token"]
        status, _, body = call("GET", "/userinfo", headers={"Authorization": f"Bearer {token}"})
        if status != 200 or "sub" not in json.loads(body):
            raise RuntimeError(f"userinfo answered {status}: {body[:200]!r}")
    return flow


#: What one counted "flow" is (``--requests``): the plain login flow; the same flow
#: against a bare WSGI callable that answers its three requests at once (``canned``: what
#: the flow's own client costs); or three ``GET /healthz`` (as many requests as a flow,
#: around a view that does nothing) through the service's app, a bare Flask app, or a bare
#: WSGI callable. The differences between them are what the request layer costs
#: (:mod:`bench.layers`).
REQUESTS: Final = ("flow", "canned", "service", "flask", "wsgi")
_HEALTHY: Final = b'{"status":"ok"}\n'


def _bare_flask() -> WsgiApp:
    from flask import Flask, jsonify

    app = Flask("bench-bare")
    app.add_url_rule("/healthz", "healthz", lambda: jsonify(status="ok"))
    return app


def _answer(start_response: Callable[..., Any], status: str, body: bytes,
            *headers: tuple[str, str]) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body))), *headers])
    return [body]


def _bare_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    return _answer(start_response, "200 OK", _HEALTHY)


def _canned(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The three answers a plain flow expects, with no work behind them: the code comes
    back with the request's own state, the token and the claims are constants."""
    path = environ["PATH_INFO"]
    if path == "/authorize":
        state = dict(urllib.parse.parse_qsl(environ["QUERY_STRING"])).get("state", "")
        location = f"{CLIENT[2]}?{urllib.parse.urlencode({'code': 'c', 'state': state})}"
        return _answer(start_response, "302 Found", b"", ("Location", location))
    if path == "/token":
        return _answer(start_response, "200 OK", b'{"access_token":"t","token_type":"Bearer"}')
    return _answer(start_response, "200 OK", b'{"sub":"s"}')


def empty_requests(app: WsgiApp) -> Callable[[], None]:
    """Three ``GET /healthz`` against ``app`` per call (a plain flow's number of
    requests); raises when one is not a 200."""
    call = _caller(app)

    def flow() -> None:
        for _ in range(3):
            status, _, body = call("GET", "/healthz")
            if status != 200:
                raise RuntimeError(f"/healthz answered {status}: {body[:200]!r}")
    return flow


class _Pauses:
    """The cyclic collector's pauses while it is listening (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.full: list[float] = []  # the oldest generation's: a walk of every object
        self.total = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: Mapping[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        self.total += took
        if info["generation"] == 2:
            self.full.append(took)

    def report(self, flows: int) -> str:
        """The line for ``flows`` flows, after one full collection timed now."""
        began = time.perf_counter()
        gc.collect()  # what a full collection costs now, after the flows
        one = time.perf_counter() - began
        return (f"collector: {len(self.full)} full collections of {flows} flows, the "
                f"longest {max(self.full, default=0.0) * 1000:.2f} ms, "
                f"{self.total / flows * 1000:.4f} ms per flow in all; "
                f"{len(gc.get_objects())} objects tracked; one full collection "
                f"{one * 1000:.2f} ms")


def _wait_for(path: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"no {path} within {timeout:g} s")
        time.sleep(0.05)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="python bench/_inprocess.py")
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--instance", type=Path,
                        help="the instance folder (default: a temporary one, removed)")
    parser.add_argument("--ready", type=Path, help="write the pid here after the warm-up")
    parser.add_argument("--go", type=Path, help="then wait for this file")
    parser.add_argument("--requests", choices=REQUESTS, default="flow",
                        help="what one flow is: the plain login flow (default), the same "
                        "against a bare WSGI callable answering it (canned), or three "
                        "GET /healthz through the service's app, a bare Flask app or a "
                        "bare WSGI callable")
    parser.add_argument("--gc", choices=("on", "frozen"), default="on",
                        help="the cyclic collector as Python starts it (default), or with "
                        "what start-up made frozen out of it, as eid serve's workers do")
    parser.add_argument("--pauses", action="store_true",
                        help="also print the collector's pauses over the flows, and what "
                        "one full collection then takes")
    args = parser.parse_args(argv)
    instance = args.instance or Path(tempfile.mkdtemp(prefix="eid-bench-inprocess-"))
    # The data-access log's checkpoint signer runs on a clock, not per flow: under
    # callgrind (fifty times slower) it would bill each flow for more of its ticks.
    os.environ.update(EID_TEST_MODE="1", EID_INSTANCE=str(instance))
    from service.app import create_app  # after the settings it reads
    from service.config import Settings

    try:
        settings = Settings.from_env(checkpoint_interval=0)
    except TypeError:  # a checkout older than the setting
        settings = Settings.from_env()
    app = create_app({"EID_SETTINGS": settings})  # built for every kind: the same imports
    if args.gc == "frozen":
        gc.freeze()  # where service.cli's worker freezes: once the app is built
    flow = {"flow": lambda: plain_flow_in_process(app), "service": lambda: empty_requests(app),
            "flask": lambda: empty_requests(_bare_flask()),
            "wsgi": lambda: empty_requests(_bare_wsgi),
            "canned": lambda: plain_flow_in_process(_canned)}[args.requests]()
    for _ in range(args.warmup):
        flow()
    if args.ready is not None and args.go is not None:
        args.ready.write_text(str(os.getpid()), encoding="ascii")
        _wait_for(args.go)
    pauses = _Pauses()
    if args.pauses:
        gc.callbacks.append(pauses)
    began = time.process_time()
    for _ in range(args.flows):
        flow()
    spent = time.process_time() - began
    if args.pauses:
        gc.callbacks.remove(pauses)
        print(pauses.report(args.flows), flush=True)
    print(f"{args.flows} flows, {spent / args.flows * 1000:.3f} ms CPU per flow", flush=True)
    if args.ready is not None and args.go is not None:
        # Alive until the parent has taken the servers' CPU time: a PostgreSQL backend
        # ends with its connection, and its time with it. The parent closes stdin then.
        sys.stdin.read()
    if args.instance is None:
        shutil.rmtree(instance, ignore_errors=True)
    # No interpreter shutdown: under callgrind it would be counted (a hundred million
    # instructions of teardown, billed to the flows).
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
