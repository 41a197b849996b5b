"""``python -m bench.instructions`` counts a checkout's instructions per flow under
callgrind (a smoke test of the harness: no count is asserted beyond being one)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.instructions import ROOT, count, main
from tests.servers import require_binary


def test_quick_run_drives_flows_without_valgrind() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.instructions", "--quick"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert re.search(r"^3 flows, \d+\.\d{3} ms CPU per flow$", out, re.M), out


def test_a_count_under_callgrind_is_the_flows_own(capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("valgrind", "valgrind")
    assert main(["--flows", "2"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"^eid +(\d+\.\d{3}) M instructions per flow", out, re.M)
    assert found, out
    # Start-up alone is billions of instructions: a count that included it would be huge.
    assert 0.5 < float(found.group(1)) < 100


def test_a_count_with_redis_and_postgres_keeps_callgrinds_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("valgrind", "valgrind")
    require_binary("redis-server", "redis-server")
    assert main(["--flows", "2", "--redis", "--postgres", "--keep", str(tmp_path),
                 "--server-rounds", "1", "--server-flows", "3"]) == 0
    out = capsys.readouterr().out
    assert "(Redis + PostgreSQL)" in out, out
    found = re.search(r"^eid +(\d+\.\d{3}) M instructions per flow", out, re.M)
    assert found, out
    # The servers' CPU time is taken too, in a run of its own (a figure; not asserted).
    assert re.search(r"^eid +Redis \d+\.\d{3}, PostgreSQL \d+\.\d{3}$", out, re.M), out
    # The flows ran against both servers (a store the child could not reach would have
    # failed a flow, and main with it).
    assert 0.5 < float(found.group(1)) < 100
    kept = list((tmp_path / "eid").glob("callgrind.out.*"))
    assert kept and kept[0].read_text(errors="replace").startswith("# callgrind format")


def test_a_checkout_whose_flows_fail_is_reported(tmp_path: Path) -> None:
    require_binary("valgrind", "valgrind")
    # A "service" package that cannot build the app: the child exits before it is ready.
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "__init__.py").write_text("")
    (tmp_path / "service" / "app.py").write_text("def create_app():\n    raise OSError('x')\n")
    with pytest.raises(SystemExit, match="did not start"):
        count(tmp_path, 1, timeout=300)
