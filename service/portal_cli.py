"""``eid portal``: run the demo provincial portal (registered by name in ``eid.cli``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["make_portal_server", "register", "run"]


def make_portal_server(host: str, port: int) -> Any:
    """A threaded WSGI server for the portal (the caller runs ``serve_forever``)."""
    from werkzeug.serving import make_server

    from service.portal import create_portal_app

    os.environ.setdefault("EID_PORTAL_URL", f"http://{host}:{port}")
    return make_server(host, port, create_portal_app(), threaded=True)


def run(args: argparse.Namespace) -> int:
    if args.issuer:
        os.environ["EID_PORTAL_ISSUER"] = args.issuer
    server = make_portal_server(args.host, args.port)
    print(f"demo portal on http://{args.host}:{args.port} "
          f"(login service {os.environ.get('EID_PORTAL_ISSUER', 'http://127.0.0.1:5000')})",
          flush=True)
    server.serve_forever()
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("portal", help="run the demo provincial public-service portal")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    parser.add_argument("--issuer", help="the login service's issuer URL "
                                         "(default $EID_PORTAL_ISSUER or http://127.0.0.1:5000)")
    parser.set_defaults(func=run)
