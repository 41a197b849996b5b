"""``eid portal``: run the demo provincial portal (an ``eid.commands`` entry point)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from service.portal import create_portal_app
    from service.portal.settings import PortalSettings
    from service.serving import Server, serve

    with Server(args.host, args.port) as server:
        # The served URL unless EID_PORTAL_URL says where citizens reach the portal.
        settings = PortalSettings.from_env(public_url=server.url)
        if args.issuer:
            settings = settings.with_(issuer=args.issuer.rstrip("/"))
        app = create_portal_app(settings=settings)
        print(f"demo portal on {server.url} (login service {settings.issuer})", flush=True)
        serve(server.mount(app))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("portal", help="run the demo provincial public-service portal")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    parser.add_argument("--issuer", help="the login service's issuer URL "
                                         "(default $EID_PORTAL_ISSUER or http://127.0.0.1:5000)")
    parser.set_defaults(func=run)
