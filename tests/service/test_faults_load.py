"""The bounded load harness (tests/service/load.py) still works: a small run in every
`make test`, checked for what it did, never for how fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.load import drive
from tests.service.rows import assert_acknowledged_kept, assert_rows_whole, open_rows
from tests.service.served import eid_serve


def test_a_small_load_of_complete_flows_runs_and_stops_by_itself(tmp_path: Path) -> None:
    with eid_serve(["--threads", "4"], tmp_path) as served:
        report = drive(served.url, flows=6, seconds=120, concurrency=3)
        assert served.stop() == 0
    assert len(report.results) == 6  # stopped after its flows, not later
    assert report.errors() == {}
    assert all(r.consented and r.refresh_token for r in report.results)
    db = open_rows(tmp_path / "instance")
    assert_rows_whole(db)
    assert_acknowledged_kept(db, report.results)


@pytest.mark.parametrize(("base", "flows", "seconds", "concurrency"), [
    ("http://10.0.0.7:5000", 1, 1, 1),       # never anything but loopback
    ("http://example.org:5000", 1, 1, 1),
    ("http://127.0.0.1", 1, 1, 1),           # no port: not a server we started
    ("http://127.0.0.1:5000", 0, 1, 1),
    ("http://127.0.0.1:5000", 10_001, 1, 1),  # bounded in count
    ("http://127.0.0.1:5000", 1, 0, 1),
    ("http://127.0.0.1:5000", 1, 601, 1),    # and in time
    ("http://127.0.0.1:5000", 1, 1, 33),
])
def test_the_harness_refuses_an_unbounded_or_outside_load(base: str, flows: int,
                                                          seconds: float,
                                                          concurrency: int) -> None:
    with pytest.raises(ValueError):
        drive(base, flows=flows, seconds=seconds, concurrency=concurrency)


def test_a_load_stops_when_its_time_is_up_even_with_flows_left(tmp_path: Path) -> None:
    with eid_serve([], tmp_path) as served:
        report = drive(served.url, flows=10_000, seconds=1, concurrency=2)
    # A flow started before the deadline finishes; none starts after it.
    assert 1 <= len(report.results) < 10_000
