"""``eid dossier verify FILE --issuer URL [--jwks FILE] [--audience ID]``: a receiving
office checks a dossier offline (an ``eid.commands`` entry point).

Keys come from the issuer's JWKS through discovery (:class:`eid.verify.RemoteKeySource`)
or, offline, from a pinned JWKS file. Exit codes (those of :mod:`eid.cli`): 0 the
dossier is accepted, 1 rejected (the table says which fields failed and why), 2 a usage
error, 3 the file is not a dossier, 4 a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eid.errors import DataFileMissing

__all__ = ["read_dossier_file", "register", "verify_command"]

_MARK = {"verified": "✓ verified", "typed": "· typed", "failed": "✗ FAILED"}
_WIDTH = 48


def read_dossier_file(path: str) -> bytes:
    """A dossier file's bytes, read no further than the size cap (+1, so an oversized
    file is still told apart).

    :raises DataFileMissing: the file cannot be read.
    """
    from eid.credentials.dossier import MAX_DOSSIER_BYTES

    try:
        with Path(path).open("rb") as handle:
            return handle.read(MAX_DOSSIER_BYTES + 1)
    except OSError as exc:
        raise DataFileMissing(f"cannot read {path}: {exc.strerror}", source=path) from exc


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = "".join(c if c.isprintable() else "?" for c in text)  # no terminal escapes
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def verify_command(args: argparse.Namespace) -> int:
    from eid.credentials.dossier import parse_dossier
    from eid.credentials.dossier_verify import verify_dossier
    from eid.datafiles import read_json
    from eid.verify import Jwks, KeySet, RemoteKeySource

    dossier = parse_dossier(read_dossier_file(args.file))
    issuer = args.issuer.rstrip("/")
    keys: Jwks = KeySet.from_jwks(read_json(args.jwks)) if args.jwks \
        else RemoteKeySource(issuer)
    audience = args.audience or dossier.audience
    report = verify_dossier(dossier, issuer=issuer, jwks=keys, audience=audience)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0 if report.ok else 1
    print(f"dossier {dossier.filing}  procedure {dossier.procedure}  from {dossier.portal}")
    print(f"issuer {issuer}  addressed to {audience}"
          + ("" if args.audience else "  (the dossier's own audience: pass --audience)"))
    rows = [(_MARK[f.status], f"{f.form}.{f.field}", _shown(f.value), f.code or "")
            for f in report.fields]
    widths = [max(len(r[i]) for r in rows) if rows else 0 for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
              + ("  " + row[3] if row[3] else ""))
    for problem in report.problems:
        print(f"problem: {problem}")
    print("ACCEPTED: every registry value is the registry's" if report.ok
          else "REJECTED: see the failed fields and problems above")
    return 0 if report.ok else 1


def register(sub: Any) -> None:
    parser = sub.add_parser("dossier", help="verify a forwarded dossier offline")
    actions = parser.add_subparsers(dest="dossier_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check a dossier file field by field")
    verify.add_argument("file", metavar="FILE", help="the dossier (JSON)")
    verify.add_argument("--issuer", required=True,
                        help="the credential issuer this office trusts (its issuer URL)")
    verify.add_argument("--jwks", metavar="FILE",
                        help="the issuer's keys pinned in a JWKS file (offline); default: "
                             "fetched through the issuer's discovery")
    verify.add_argument("--audience", metavar="ID",
                        help="this office's identifier (the presentation's aud); default: "
                             "the dossier's own audience member")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(func=verify_command)
