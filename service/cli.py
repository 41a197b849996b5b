"""``eid serve``: run the login service (an ``eid.commands`` entry point of the service).

Flask is imported only when the command runs, so registering the command costs
nothing and ``eid`` lists it without importing the service.
"""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.config import Settings
    from service.serving import WsgiApp

__all__ = ["register", "run"]


def _worker_app(settings: Settings, metrics_dir: Path) -> WsgiApp:
    # Runs in each worker after the fork. Imported here, not above: the app
    # imports prometheus_client, which must first see the workers' environment.
    from service.app import create_app

    app = create_app({"EID_SETTINGS": settings.with_(metrics_dir=metrics_dir)})
    # What start-up made (modules, routes, templates, keys: some 65,000 objects the
    # cyclic collector tracks) lives as long as the worker. Frozen out of the collector,
    # they are no longer walked by every full collection, which stops all of the
    # worker's threads: up to 58 ms each time with them, 1.3 ms without (python -m
    # bench.pauses, round 13 in the README). Cycles made later are collected as before.
    gc.freeze()
    return app


def run(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.production import Workers, serve_production
    from service.serving import Server

    with Server(args.host, args.port) as server:
        overrides: dict[str, Any] = {}
        if not os.environ.get("EID_ISSUER"):
            # The default issuer follows the address served (OIDC Discovery §4.3: issuer == base).
            overrides["issuer"] = server.url
        # Read and checked here, before any worker starts: a bad setting is exit 2, once.
        settings = Settings.from_env(**overrides)
        workers = Workers.plan(shared_state=settings.redis_url is not None,
                               workers=args.workers, threads=args.threads)
        print(f"eid login service on {server.url} (issuer {settings.issuer}; "
              f"{args.server}, {workers.processes} worker(s) x {workers.threads} thread(s))",
              flush=True)

        def factory(metrics_dir: Path) -> WsgiApp:
            return _worker_app(settings, metrics_dir)

        access_log = not args.no_access_log
        if args.server == "gunicorn":
            serve_production(server, factory, workers, access_log=access_log)
        else:
            from service.production_granian import serve_granian

            serve_granian(server, factory, workers, access_log=access_log)
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the national login service (OpenID provider)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="the HTTP server: granian (default: Rust HTTP, the less CPU "
                             "per request) or gunicorn (gthread workers)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: 1 with short-lived state "
                             "in memory; one per usable core with EID_REDIS_URL)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default 16)")
    parser.add_argument("--no-access-log", action="store_true",
                        help="write no access line per request (default: one line each, "
                             "path without the query string)")
    parser.set_defaults(func=run)
