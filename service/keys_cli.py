"""``eid keys``: list and rotate the login service's signing keys (an ``eid.commands``
entry point of the service).

Works on the instance's durable store (``EID_DATABASE_URL``, else
``EID_INSTANCE``/``eid.sqlite``, or ``--instance``) while services run on it: they
pick a new key up within ``key_reload_interval`` and publish it before it signs (see
:mod:`eid.oidc.keystore` for the states and the delay arithmetic). Run it as the
service's user: the file holds the private keys and is owner-only.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from eid.errors import ConfigurationError
from eid.oidc.keystore import (
    DEFAULT_ACTIVATION_DELAY,
    DEFAULT_ALGS,
    MIN_SAFE_DELAY,
    KeyState,
    KeyStore,
    key_states,
)
from eid.storage import DurableStore
from service.config import Settings
from service.instance_store import instance_settings, open_instance_store

__all__ = ["register"]


def _settings(args: argparse.Namespace) -> Settings:
    return instance_settings(args.instance)


def _open(settings: Settings) -> DurableStore:
    return open_instance_store(settings)


def _time(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(s: KeyState) -> dict[str, Any]:
    return {"state": s.state, "kid": s.kid, "alg": s.alg, "created": _time(s.created_at),
            "activates": _time(s.activates_at), "retires": _time(s.retires_at),
            "unpublished": _time(s.unpublish_at), "published": s.published}


def run_list(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = _open(settings)
    try:
        rows = [_row(s) for s in key_states(store.signing_keys(), datetime.now(UTC).timestamp(),
                                            settings.key_retention)]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ("state", "kid", "alg", "created", "activates", "retires", "unpublished",
               "published")
    table = [[str(c).upper() for c in columns]]
    table += [["-" if r[c] is None else ("yes" if r[c] is True else "no" if r[c] is False
                                         else str(r[c])) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = _open(settings)
    try:
        keys = KeyStore(store, retain=settings.key_retention, reload_interval=0)
        try:
            new = keys.rotate(None if args.alg == "all" else args.alg, delay=args.delay)
        except ConfigurationError as exc:
            if exc.code != "rotation_pending":
                raise
            print(f"error: {exc}; wait until it activates (`eid keys list`)", file=sys.stderr)
            return 1
    finally:
        store.close()
    if args.delay < MIN_SAFE_DELAY:
        print(f"warning: a delay under {MIN_SAFE_DELAY:.0f} s may outrun portals' cached key "
              "sets: their verifications can fail until they refetch", file=sys.stderr)
    for s in new:
        print(f"{s.alg}: {s.kid} published, signs from {_time(s.activates_at)}")
    return 0


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 366 * 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError("the delay is 0 to 366 days in seconds")
    return value


def register(sub: Any) -> None:
    parser = sub.add_parser("keys", help="list or rotate the login service's signing keys")
    commands = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="every key: state, activation, retirement")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    rotate = commands.add_parser(
        "rotate", help="publish a next key now; it signs after --delay seconds")
    rotate.add_argument("--alg", choices=(*DEFAULT_ALGS, "all"), default="all",
                        help="the algorithm to rotate (default: all)")
    rotate.add_argument("--delay", type=_delay, default=DEFAULT_ACTIVATION_DELAY,
                        help=f"seconds between publishing and signing (default "
                             f"{DEFAULT_ACTIVATION_DELAY:.0f}; under {MIN_SAFE_DELAY:.0f} "
                             "portals' key caches may not have it yet)")
    for each in (listing, rotate):
        each.add_argument("--instance", metavar="PATH",
                          help="the instance folder (default: EID_INSTANCE or ./instance)")
    listing.set_defaults(func=run_list)
    rotate.set_defaults(func=run_rotate)
