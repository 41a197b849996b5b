"""The ``eid`` command.

Sub-commands are found, not named: every ``eid.commands`` entry point (this
library's own and those of other packages, such as the login service's
``serve``, ``mock``, ``portal`` and ``up``) is a ``register(subparsers)``
callable that adds its parsers and sets ``func`` on them, the way Flask's CLI
loads ``flask.commands`` plugins. An entry point that names an extra
(``"service.cli:register [service]"``) is loaded only when that extra is
installed; otherwise its command says what to install. Exit codes a script can
rely on:

* 0 – success
* 1 – the request was understood but failed (token rejected, citizen not found)
* 2 – usage error (bad arguments, a command whose extra is not installed)
* 3 – input data invalid (malformed ID number, data file that fails validation)
* 4 – a data file is missing or unreadable (a wrong path, or a broken installation)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution, entry_points

from eid.errors import ConfigurationError, DataError, DataFileMissing, EidError, IdNumberError

__all__ = ["COMMANDS_GROUP", "build_parser", "main"]

#: The entry-point group of ``eid`` sub-commands.
COMMANDS_GROUP = "eid.commands"
# What this distribution's extras install, for the message of a command whose extra is missing.
_EXTRA_WHAT = {"service": "the login service", "flask": "the Flask extension"}
# ``Requires-Dist`` lines (core metadata 2.1): a name, then an environment marker.
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*(?:;(.*))?")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _missing_extras(ep: EntryPoint) -> list[str]:
    """The extras ``ep`` names whose requirements are not all installed."""
    requires = (ep.dist.requires if ep.dist is not None else None) or []
    missing = []
    for extra in ep.extras:
        for line in requires:
            match = _REQUIREMENT.fullmatch(line)
            if match is None or extra not in _EXTRA_MARKER.findall(match.group(2) or ""):
                continue
            try:
                distribution(match.group(1))
            except PackageNotFoundError:
                missing.append(extra)
                break
    return missing


def _unavailable(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                 extras: list[str], dist: str) -> None:
    what = " and ".join(_EXTRA_WHAT.get(e, f"the {e!r} extra") for e in extras)
    install = f"pip install '{dist}[{','.join(extras)}]'"
    # Whatever follows is the missing command's to parse: no option prefix here, so
    # "--port 5000" is taken as it comes (argparse.REMAINDER refuses a leading option).
    parser = sub.add_parser(name, help=f"(needs {install})", add_help=False,
                            prefix_chars="\0")
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)

    def refuse(args: argparse.Namespace) -> int:
        print(f"error: `eid {name}` needs {what}: {install}", file=sys.stderr)
        return 2

    parser.set_defaults(func=refuse)


def build_parser(commands: Iterable[EntryPoint] | None = None) -> argparse.ArgumentParser:
    """The parser with every command of ``commands`` (default: the installed entry points)."""
    parser = argparse.ArgumentParser(
        prog="eid", description="Electronic identity for Vietnam's e-government."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    found = entry_points(group=COMMANDS_GROUP) if commands is None else commands
    for ep in sorted(found, key=lambda e: e.name):
        missing = _missing_extras(ep)
        try:
            if missing:
                _unavailable(sub, ep.name, missing, ep.dist.name if ep.dist else "eid")
            else:
                ep.load()(sub)
        except argparse.ArgumentError as exc:
            # Another package took the name first: keep the command working, say so.
            print(f"warning: {COMMANDS_GROUP} entry point {ep.value!r} skipped: {exc}",
                  file=sys.stderr)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DataFileMissing as exc:  # before DataError: nothing to fix in the file itself
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except (IdNumberError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except EidError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
