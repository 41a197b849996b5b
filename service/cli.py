"""``eid serve``: run the login service (registered by name in ``eid.cli``).

Flask is imported only when the command runs, so ``eid`` works without the
``service`` extra installed.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from service.app import create_app
    from service.config import Settings

    overrides: dict[str, Any] = {}
    if not os.environ.get("EID_ISSUER"):
        # The default issuer follows the address served (OIDC Discovery §4.3: issuer == base).
        overrides["issuer"] = f"http://{args.host}:{args.port}"
    app = create_app({"EID_SETTINGS": Settings.from_env(**overrides)})
    print(f"eid login service on http://{args.host}:{args.port} "
          f"(issuer {app.extensions['eid'].issuer})", flush=True)
    # The werkzeug server is enough for the mock; it binds loopback unless told otherwise.
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False, debug=False)
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the national login service (OpenID provider)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.set_defaults(func=run)
