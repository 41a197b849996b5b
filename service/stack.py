"""``eid up``: the login service and the demo portal together (what `make run` starts)."""

from __future__ import annotations

import argparse
import os
import threading
from typing import Any

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from service.app import create_app
    from service.config import Settings
    from service.portal.cli import make_portal_server

    issuer = os.environ.get("EID_ISSUER") or f"http://{args.host}:{args.service_port}"
    login = create_app({"EID_SETTINGS": Settings.from_env(issuer=issuer)})
    os.environ.setdefault("EID_PORTAL_ISSUER", issuer)
    servers = [make_server(args.host, args.service_port, login, threaded=True),
               make_portal_server(args.host, args.portal_port)]
    print(f"login service  {issuer}\n"
          f"demo portal    http://{args.host}:{args.portal_port}\n"
          "fixture citizens and passwords: fixtures/README.md (Ctrl-C stops both)", flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        threads[0].join()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("up", help="run the login service and the demo portal together")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--service-port", type=int, default=5000)
    parser.add_argument("--portal-port", type=int, default=5001)
    parser.set_defaults(func=run)
