"""``eid up``: the login service, the demo portal and the demo receiving office together
(what `make run` starts)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from service.config import LocalPortal

__all__ = ["local_portal", "register", "run"]


def run(args: argparse.Namespace) -> int:
    from service.app import create_app
    from service.config import Settings
    from service.office import OfficeSettings, create_office_app
    from service.portal import create_portal_app
    from service.portal.settings import PortalSettings
    from service.serving import Server, serve

    with Server(args.host, args.service_port) as login, \
            Server(args.host, args.portal_port) as portal, \
            Server(args.host, args.office_port) as office:
        issuer = os.environ.get("EID_ISSUER") or login.url
        # The portal trusts the login service started beside it and addresses its
        # dossiers to the office started beside it, which trusts the same issuer.
        office_settings = OfficeSettings.from_env(identifier=office.url).with_(issuer=issuer)
        portal_app = create_portal_app(settings=PortalSettings.from_env(
            public_url=portal.url, office_id=office_settings.identifier).with_(issuer=issuer))
        # ... which registers the portal's URIs on whatever port it got (not the 5001
        # of clients.json): its callback, sign-out landing and back-channel logout.
        login.mount(create_app({"EID_SETTINGS": Settings.from_env(
            issuer=issuer, local_portal=local_portal(portal_app))}))
        portal.mount(portal_app)
        office.mount(create_office_app(settings=office_settings))
        print(f"login service  {issuer}\n"
              f"demo portal    {portal.url}\n"
              f"demo office    {office.url}\n"
              "fixture citizens and passwords: fixtures/README.md (Ctrl-C stops all three)",
              flush=True)
        serve(login, portal, office)
    return 0


def local_portal(app: Flask) -> LocalPortal:
    """The registration of a demo portal app, for the service started beside it."""
    from service.config import LocalPortal

    state = app.extensions["eid_login"]
    return LocalPortal(
        client_id=state.rp.client_id, redirect_uri=state.rp.redirect_uri,
        post_logout_redirect_uris=tuple(
            u for u in (state.post_logout_redirect_uri,) if u),
        backchannel_logout_uri=state.backchannel_logout_uri)


def register(sub: Any) -> None:
    parser = sub.add_parser("up", help="run the login service, the demo portal and the demo "
                                       "receiving office together")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--service-port", type=int, default=5000)
    parser.add_argument("--portal-port", type=int, default=5001)
    parser.add_argument("--office-port", type=int, default=5003)
    parser.set_defaults(func=run)
