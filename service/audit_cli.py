"""``eid audit``: check the data-access log, and show a citizen's entries (an
``eid.commands`` entry point of the service).

Works on the instance's durable store (``EID_DATABASE_URL``, else
``EID_INSTANCE``/``eid.sqlite``, or ``--instance``) while services run on it:

* ``eid audit verify`` re-hashes every entry, rebuilds the tree and compares it with the
  stored hashes and the latest signed checkpoint (:mod:`eid.storage.access_verify`).
  Exit 0 when intact; 1 with the first bad entry's index and what is wrong otherwise.
  ``--key`` is the verifier key published earlier; without it the store's own key is
  used, which cannot rule out a log rewritten and re-signed by someone holding the
  database (the key lives there too).
* ``eid audit show --citizen ID_NUMBER`` lists a citizen's entries, newest first.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from eid.audit import AccessEntry
from eid.oidc.log_key import log_origin, log_signer
from eid.population.idnumber import parse_id_number
from eid.storage.access_verify import verify_log
from service.instance_store import instance_settings, open_instance_store

__all__ = ["register"]

_PAGE = 500  # entries read per query by `show`
# Below this many entries the check is over before a progress bar would be read.
_PROGRESS_FROM = 20_000


def _progress(stream: TextIO) -> Callable[[int, int], None] | None:
    """A one-line progress bar on ``stream`` when it is a terminal (a script's log is not
    cluttered with carriage returns). No library: one line of arithmetic."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < _PROGRESS_FROM:
            return
        filled = 30 * done // total
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} entries")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def run_verify(args: argparse.Namespace) -> int:
    settings = instance_settings(args.instance)
    store = open_instance_store(settings)
    try:
        # The key is named after the log's origin, as the service that signed saw it
        # (EID_ISSUER may be unset in an operator's shell).
        latest = store.latest_checkpoint()
        origin = latest.note.partition("\n")[0] if latest else log_origin(settings.issuer)
        vkey = args.key or log_signer(store, origin).verifier_key
        report = verify_log(store, vkey, progress=_progress(sys.stderr))
    finally:
        store.close()
    if report.problem is not None:
        where = "" if report.problem.index is None else f"entry {report.problem.index}: "
        print(f"error: {where}{report.problem.code}: {report.problem.message}", file=sys.stderr)
        return 1
    signed = report.checkpoint
    print(f"intact: {report.size} entries" + (
        f", the first {signed.size} as signed in the checkpoint of {signed.origin}"
        if signed is not None else " (an empty log)"))
    if not args.key:
        print("note: checked with the store's own key; pass --key with the published verifier "
              "key (GET /transparency/key) to rule out a re-signed log", file=sys.stderr)
    return 0


def _row(index: int, entry: AccessEntry) -> dict[str, Any]:
    return {"index": index,
            "time": datetime.fromtimestamp(entry.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "action": entry.action, "client_id": entry.client_id,
            "organisation": entry.organisation, "procedure": entry.procedure,
            "purpose": entry.purpose, "attributes": list(entry.attributes),
            "basis": entry.basis, "trace_id": entry.trace_id}


def run_show(args: argparse.Namespace) -> int:
    citizen = parse_id_number(args.citizen).value  # exit 3 for a malformed number
    settings = instance_settings(args.instance)
    store = open_instance_store(settings)
    rows: list[dict[str, Any]] = []
    try:
        before: int | None = None
        while len(rows) < args.limit:
            page = store.citizen_access(citizen, client_id=args.client, before=before,
                                        limit=min(_PAGE, args.limit - len(rows)))
            rows += [_row(index, entry) for index, entry in page]
            if not page or page[-1][0] == 0:
                break
            before = page[-1][0]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"no entries for {citizen}")
        return 0
    for r in rows:
        why = f"procedure {r['procedure']}" if r["procedure"] else f"purpose {r['purpose']}"
        print(f"{r['index']:>8}  {r['time']}  {r['action']:<13} {r['client_id']} "
              f"({r['organisation']})  {why}  [{', '.join(r['attributes'])}]  {r['basis']}")
    return 0


def _limit(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise argparse.ArgumentTypeError("a number of entries from 1 to 1000000")
    return int(text)


def register(sub: Any) -> None:
    parser = sub.add_parser("audit", help="check the data-access log, or show a citizen's "
                                          "entries")
    commands = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = commands.add_parser(
        "verify", help="re-hash every entry and check the latest signed checkpoint")
    verify.add_argument("--key", metavar="VKEY",
                        help="the log's published verifier key (default: the store's own)")
    show = commands.add_parser("show", help="a citizen's entries, newest first")
    show.add_argument("--citizen", metavar="ID_NUMBER", required=True,
                      help="the citizen's 12-digit personal ID number")
    show.add_argument("--client", metavar="CLIENT_ID", help="only this portal's entries")
    show.add_argument("--limit", type=_limit, default=100,
                      help="at most this many entries (default 100)")
    show.add_argument("--json", action="store_true", help="JSON instead of lines")
    for each in (verify, show):
        each.add_argument("--instance", metavar="PATH",
                          help="the instance folder (default: EID_INSTANCE or ./instance)")
    verify.set_defaults(func=run_verify)
    show.set_defaults(func=run_show)
