"""The ``eid`` command.

Each area registers its own sub-commands (``register(subparsers)``) so this
module stays a thin dispatcher. Exit codes a script can rely on:

* 0 – success
* 1 – the request was understood but failed (token rejected, citizen not found)
* 2 – usage error (bad arguments)
* 3 – input data invalid (malformed ID number, data file that fails validation)
* 4 – a data file is missing or unreadable (a wrong path, or a broken installation)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from eid.errors import ConfigurationError, DataError, DataFileMissing, EidError, IdNumberError

__all__ = ["main"]

# Modules that contribute sub-commands; each defines ``register(subparsers)``
# and sets ``func`` on its parsers.
_COMMAND_MODULES = (
    "eid.demo",
    "eid.population.cli",
    "eid.testing.cli",
    "service.cli",  # `eid serve`; lives in service/ because eid/ never imports Flask
    "service.mock_cli",  # `eid mock`, the login service with test controls
    "service.portal.cli",  # `eid portal`, the demo provincial portal
    "service.stack",  # `eid up`: both together, what `make run` starts
)
# The service commands need the optional ``service`` extra (Flask, Authlib,
# redis); without it the library's own commands still work.
_OPTIONAL_PACKAGES = frozenset({"service", "flask", "authlib", "redis", "werkzeug", "flask_eid"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eid", description="Electronic identity for Vietnam's e-government."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in _OPTIONAL_PACKAGES:
                raise
            continue
        module.register(sub)
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
