"""``python -m bench.flows`` drives complete flows against both servers (a smoke test of
the harness: no timing is asserted)."""

from __future__ import annotations

import os
import time

import pytest

from bench._servers import cpu_seconds
from bench.flows import main, percentile
from tests.servers import interop_node, require_binary

ENDPOINTS = {"plain": ["authorize", "token", "userinfo", "flow"],
             "fapi": ["par", "authorize", "token", "userinfo", "flow"]}


def _tables(out: str) -> dict[str, dict[str, dict[str, str]]]:
    """flow kind -> server -> column -> cell."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    header: list[str] = []
    kind = ""
    for line in out.splitlines():
        if " flow, concurrency " in line:
            kind = line.split()[0]
            tables[kind] = {}
        elif line.startswith("server "):
            header = [c.strip() for c in line.split("|")]
        elif "|" in line and kind:
            cells = [c.strip() for c in line.split("|")]
            tables[kind][cells[0]] = dict(zip(header, cells, strict=True))
    return tables


def test_quick_run_completes_every_flow_on_both_servers(
        capsys: pytest.CaptureFixture[str]) -> None:
    interop_node()
    cores = os.sched_getaffinity(0)
    assert main(["--quick", "--fapi"]) == 0
    assert os.sched_getaffinity(0) == cores  # the driver's pinning is undone
    out = capsys.readouterr().out
    tables = _tables(out)
    assert set(tables) == {"plain", "fapi"}
    for kind, servers in tables.items():
        assert set(servers) == {"eid", "node"}
        for row in servers.values():
            assert row["flows"] == "6" and row["err"] == "0"
            for endpoint in ENDPOINTS[kind]:
                p50, p99 = row[f"{endpoint} p50/p99"].split("/")
                assert 0 < float(p50) <= float(p99)
    assert out.count("eid/node: flows/s ") == 2
    assert "per server, after 6 uncounted;" in out
    # One CPU figure per round and server, so a drifting server shows.
    rounds = [line for line in out.splitlines() if line.startswith("by round, server CPU")]
    assert len(rounds) == 2 and all(
        len(part.split()) == 2 for line in rounds for part in line.split(": ")[1].split("; "))


def test_quick_run_on_redis_without_node(capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("redis-server", "redis-server")
    assert main(["--quick", "--eid-only", "--redis"]) == 0
    out = capsys.readouterr().out
    assert "stores: Redis + SQLite on core 0 (the server's)" in out
    tables = _tables(out)
    assert set(tables["plain"]) == {"eid"}
    # Six flows may stay under the CPU clock's tick: the column is there all the same.
    assert float(tables["plain"]["eid"]["of which stores"]) >= 0


def test_the_stores_cpu_is_counted_in_the_server_s_and_shown_apart(
        capsys: pytest.CaptureFixture[str]) -> None:
    require_binary("redis-server", "redis-server")
    # Enough flows for Redis's share to pass the kernel's 10 ms CPU-time tick.
    assert main(["--quick", "--eid-only", "--redis", "--store-core", "1",
                 "--flows", "200", "--concurrency", "4"]) == 0
    out = capsys.readouterr().out
    assert "stores: Redis + SQLite on core 1 (the driver's)" in out
    row = _tables(out)["plain"]["eid"]
    # Redis answers several commands a flow: its share is above nothing, below the whole.
    assert 0 < float(row["of which stores"]) < float(row["CPU ms/flow"])


def test_without_stores_there_is_no_store_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick", "--eid-only", "--flows", "4", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "after 0 uncounted; stores: memory + SQLite;" in out
    assert "of which stores" not in _tables(out)["plain"]["eid"]


def test_a_failing_flow_fails_the_run_and_shows_the_server_output(
        capsys: pytest.CaptureFixture[str]) -> None:
    # A service that is not in test mode ignores the header: no code comes back.
    assert main(["--quick", "--eid-only", "--flows", "2", "--serve-env", "EID_TEST_MODE=0"]) == 1
    out = capsys.readouterr().out
    assert "eid: first error: RuntimeError: authorization answered" in out
    assert "--- eid's output, the end:" in out


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([3.0, 1.0, 2.0], 0.5, 2.0),
    ([float(v) for v in range(1, 101)], 0.99, 99.0),
    ([5.0], 0.99, 5.0),
])
def test_percentile_is_the_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_cpu_seconds_counts_the_process_tree_s_work() -> None:
    before = cpu_seconds(os.getpid())
    give_up = time.monotonic() + 10
    while cpu_seconds(os.getpid()) < before + 0.05 and time.monotonic() < give_up:
        pass  # spinning: CPU time, as a server's
    assert cpu_seconds(os.getpid()) >= before + 0.05


@pytest.mark.parametrize(("argv", "says"), [
    (["--warmup", "-1"], "argument --warmup: must not be negative, not -1"),
    (["--flows", "0"], "argument --flows: must be positive, not 0"),
    (["--rounds", "0"], "argument --rounds: must be positive, not 0"),
    (["--rounds", "two"], "argument --rounds: not a whole number: 'two'"),
    (["--seconds", "601"], "argument --seconds: must be in (0, 600], not 601"),
    (["--seconds", "0"], "argument --seconds: must be in (0, 600], not 0"),
    (["--concurrency", "4,0"], "argument --concurrency: must be positive, not 0"),
    (["--concurrency", "4,x"], "argument --concurrency: not a whole number: 'x'"),
])
def test_nonsense_settings_are_refused_before_any_server_starts(
        argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--eid-only", *argv])
    assert stopped.value.code == 2  # argparse's usage error, before any server
    assert says in capsys.readouterr().err
