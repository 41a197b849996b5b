"""`eid serve` is an `eid.commands` entry point of the service (eid never imports Flask)."""

from __future__ import annotations

import subprocess
import sys

from eid.cli import build_parser


def test_serve_command_defaults_to_loopback_port_5000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 5000)
    args = build_parser().parse_args(["serve", "--port", "5123"])
    assert args.port == 5123


def test_the_serve_command_module_imports_flask_only_when_it_runs() -> None:
    code = "import sys, eid, eid.cli, eid.oidc, eid.storage, eid.verify, service.cli; " \
           "print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                         check=True)
    assert out.stdout.strip() == "False"
