"""``eid serve``: run the login service (an ``eid.commands`` entry point of the service).

Flask is imported only when the command runs, so registering the command costs
nothing and ``eid`` lists it without importing the service.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from service.app import create_app
    from service.config import Settings
    from service.serving import Server, serve

    with Server(args.host, args.port) as server:
        overrides: dict[str, Any] = {}
        if not os.environ.get("EID_ISSUER"):
            # The default issuer follows the address served (OIDC Discovery §4.3: issuer == base).
            overrides["issuer"] = server.url
        app = create_app({"EID_SETTINGS": Settings.from_env(**overrides)})
        print(f"eid login service on {server.url} (issuer {app.extensions['eid'].issuer})",
              flush=True)
        # werkzeug's threaded server (service.serving); it binds loopback unless told otherwise.
        serve(server.mount(app))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the national login service (OpenID provider)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.set_defaults(func=run)
