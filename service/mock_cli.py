"""``eid mock``: the login service in test mode with test controls (``eid.commands``).

Fresh state on every start (signing keys, consents and grants in a temporary
folder, short-lived state in memory), the fixture identities or a tester's own
file, the test client ``eid-test-client`` / ``eid-test-secret`` /
``http://127.0.0.1:9999/cb``, the identity picker and the ``/__mock__``
test-control API (see ``service/views/mock.py``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from eid.errors import ConfigurationError
    from eid.population.fixtures import load_fixture_registry
    from service.app import create_app
    from service.config import Settings
    from service.serving import Server, serve

    identities: Path | None = None
    if args.identities:
        identities = Path(args.identities)
        # Validate first, so a bad file is a clear DataError (exit 3) before anything starts.
        load_fixture_registry(identities)
        if identities.suffix != ".json":
            raise ConfigurationError("--identities expects a .json identities file "
                                     "(same format as fixtures/identities.json)", code="usage")
    with Server(args.host, args.port) as server, \
            tempfile.TemporaryDirectory(prefix="eid-mock-") as instance:
        url = server.url
        settings = Settings.from_env(
            issuer=url, instance=Path(instance), test_mode=True, mock=True,
            persona=args.persona, registry=identities, redis_url=None,
            test_redirect_uris=tuple(args.redirect_uri))
        app = create_app({"EID_SETTINGS": settings})
        who = f"every login is silently {args.persona}" if args.persona else \
            "login page with an identity picker; X-Eid-Test-Identity honoured"
        print(f"eid MOCK login service on {url} ({who})\n"
              f"  discovery  {url}/.well-known/openid-configuration\n"
              f"  client     eid-test-client / eid-test-secret / "
              f"{' '.join(('http://127.0.0.1:9999/cb', *args.redirect_uri))}\n"
              f"  controls   {url}/__mock__/state (next-error, rotate-keys, reset)",
              flush=True)
        serve(server.mount(app))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "mock", help="run a mock login service for portal tests (test mode, test controls)",
        description="The login service in test mode with fresh state: fixture identities (or "
                    "--identities), the test client, an identity picker on the login page, "
                    "the X-Eid-Test-Identity header and the /__mock__ test-control API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback default)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--identities", metavar="FILE",
                        help="a tester's own identities file (format of fixtures/identities.json)")
    parser.add_argument("--persona", metavar="ID_NUMBER",
                        help="every login is silently this citizen, scopes approved (MockPass "
                             "style); X-Eid-Test-Identity still picks another per request")
    parser.add_argument("--redirect-uri", action="append", default=[], metavar="URI",
                        help="also accept URI as a redirect URI of the test client (your "
                             "portal's callback); repeatable")
    parser.set_defaults(func=run)
