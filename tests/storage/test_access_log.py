"""The data-access log's storage contract, on SQLite and PostgreSQL (``durable_backend``):
append-only, gap-free across stores, the tree nodes a proof reads, checkpoints."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace

import pytest

from eid.audit import AccessEntry, canonical_bytes, completed_nodes, entry_leaf, root_of
from eid.errors import AuditError, ConfigurationError, StorageError
from eid.storage import DurableStore, postgres_access_log, sqlite_access_log
from eid.storage.records import StoredCheckpoint

from .conftest import DurableBackend

CITIZEN, OTHER = "074190000001", "001090000002"


def _entry(n: int, citizen: str = CITIZEN, client_id: str = "portal") -> AccessEntry:
    return AccessEntry(time=1_700_000_000 + n, citizen=citizen, client_id=client_id,
                       organisation="Cổng dịch vụ công", action="userinfo", procedure="CT01",
                       purpose=None, attributes=("name", "birthdate"),
                       basis="consent:openid profile", trace_id=f"trace-{n}")


def test_appends_get_consecutive_indexes_and_round_trip(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    entries = [_entry(n) for n in range(5)]
    assert [store.append_access(e) for e in entries] == [0, 1, 2, 3, 4]
    assert store.access_size() == 5
    assert store.access_entries(1, 4) == entries[1:4]
    # Durable: another store on the database sees the same log.
    assert durable_backend.open().access_entries(0, 5) == entries


def test_an_empty_log(store: DurableStore) -> None:
    assert store.access_size() == 0
    assert store.access_entries(0, 10) == []
    assert store.latest_checkpoint() is None


def test_entries_past_the_end_are_simply_absent(store: DurableStore) -> None:
    store.append_access(_entry(0))
    assert store.access_entries(0, 100) == [_entry(0)]
    assert store.access_entries(5, 9) == []


@pytest.mark.parametrize(("start", "stop"), [(-1, 3), (4, 2)])
def test_a_bad_range_is_refused(store: DurableStore, start: int, stop: int) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store.access_entries(start, stop)
    assert caught.value.code == "invalid_argument"


def test_leaves_and_complete_subtrees_are_stored_with_each_entry(store: DurableStore) -> None:
    entries = [_entry(n) for n in range(13)]
    for entry in entries:
        store.append_access(entry)
    leaves = [entry_leaf(e) for e in entries]
    assert store.access_leaves(0, 13) == leaves
    complete = [(level, i) for level in range(4) for i in range(13 >> level)]
    nodes = store.access_nodes(complete)
    for level, i in complete:
        assert nodes[(level, i)] == root_of(leaves[i << level:(i + 1) << level])
    # Incomplete subtrees are not stored: (2, 3) would cover leaves 12..15.
    assert store.access_nodes([(2, 3), (4, 0)]) == {}


def test_a_citizen_sees_their_entries_newest_first_by_page(store: DurableStore) -> None:
    for n in range(6):
        store.append_access(_entry(n, client_id="portal" if n % 2 else "bank"))
    store.append_access(_entry(6, citizen=OTHER))
    page = store.citizen_access(CITIZEN, limit=4)
    assert [i for i, _ in page] == [5, 4, 3, 2]
    assert [i for i, _ in store.citizen_access(CITIZEN, before=2, limit=4)] == [1, 0]
    assert [i for i, _ in store.citizen_access(CITIZEN, client_id="bank")] == [4, 2, 0]
    assert all(e.citizen == CITIZEN for _, e in page)
    assert [i for i, _ in store.citizen_access(OTHER)] == [6]


@pytest.mark.parametrize(("limit", "before"), [(0, None), (-1, None), (5, -1)])
def test_a_bad_page_is_refused(store: DurableStore, limit: int, before: int | None) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store.citizen_access(CITIZEN, limit=limit, before=before)
    assert caught.value.code == "invalid_argument"


def test_a_row_filed_under_another_citizen_is_never_shown(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    # A changed lookup column must not show one citizen another's entry.
    durable_backend.raw("INSERT INTO access_log VALUES (?, ?, ?, ?)",
                        (0, CITIZEN, "portal", canonical_bytes(_entry(0, citizen=OTHER))))
    with pytest.raises(StorageError) as caught:
        store.citizen_access(CITIZEN)
    assert caught.value.code == "corrupt_record"


def test_a_row_that_is_no_entry_is_a_corrupt_record(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    durable_backend.raw("INSERT INTO access_log VALUES (?, ?, ?, ?)",
                        (0, CITIZEN, "portal", b'{"time": 1}'))
    with pytest.raises(StorageError) as caught:
        store.access_entries(0, 1)
    assert caught.value.code == "corrupt_record"


@pytest.mark.parametrize("statement", [
    "UPDATE access_log SET citizen = 'x'",
    "DELETE FROM access_log",
    "UPDATE access_nodes SET hash = hash",
    "DELETE FROM access_nodes",
    "DELETE FROM access_checkpoints",
])
def test_the_log_tables_are_append_only(
        store: DurableStore, durable_backend: DurableBackend, statement: str) -> None:
    store.append_access(_entry(0))
    store.save_checkpoint(StoredCheckpoint(1, b"r" * 32, "note", 1.0))
    with pytest.raises(Exception, match="append-only"):
        durable_backend.raw(statement)
    assert store.access_entries(0, 1) == [_entry(0)]


def _allow_deleting_nodes(durable_backend: DurableBackend) -> None:
    """Behind the append-only triggers' back, as someone with the database's keys could."""
    if durable_backend.name == "sqlite":
        durable_backend.raw("DROP TRIGGER access_nodes_no_delete")
    else:
        durable_backend.raw("ALTER TABLE access_nodes DISABLE TRIGGER access_nodes_append_only")


def test_a_failed_append_leaves_no_gap(store: DurableStore,
                                       durable_backend: DurableBackend) -> None:
    store.append_access(_entry(0))
    # Entry 1's leaf node is there already: the append gets as far as writing the entry's
    # row, then its nodes fail, and it must keep nothing.
    durable_backend.raw("INSERT INTO access_nodes VALUES (0, 1, ?)", (b"x" * 32,))
    with pytest.raises(StorageError) as caught:
        store.append_access(_entry(1))
    assert caught.value.code == "storage_unavailable"
    assert store.access_size() == 1
    _allow_deleting_nodes(durable_backend)
    durable_backend.raw("DELETE FROM access_nodes WHERE level = 0 AND idx = 1")
    assert store.append_access(_entry(2)) == 1
    assert store.access_entries(0, 2) == [_entry(0), _entry(2)]


def test_an_invalid_entry_is_refused_before_anything_is_written() -> None:
    with pytest.raises(AuditError) as caught:
        replace(_entry(0), action="gossip")
    assert caught.value.code == "invalid_entry"


def test_checkpoints_only_grow(store: DurableStore, durable_backend: DurableBackend) -> None:
    first = StoredCheckpoint(3, b"a" * 32, "note 3", 10.0)
    assert store.save_checkpoint(first) is True
    assert store.save_checkpoint(replace(first, note="again")) is False
    assert store.save_checkpoint(StoredCheckpoint(2, b"b" * 32, "note 2", 11.0)) is False
    latest = StoredCheckpoint(5, b"c" * 32, "note 5", 12.0)
    assert store.save_checkpoint(latest) is True
    assert durable_backend.open().latest_checkpoint() == latest


def test_concurrent_appends_on_two_stores_are_unique_and_gap_free(
        durable_backend: DurableBackend) -> None:
    stores = [durable_backend.open(), durable_backend.open()]
    threads_per_store, each = 3, 15
    got: list[tuple[int, str]] = []
    start = threading.Barrier(len(stores) * threads_per_store)
    lock = threading.Lock()

    def append(store: DurableStore, worker: int) -> None:
        start.wait()
        for n in range(each):
            entry = _entry(worker * 100 + n)
            index = store.append_access(entry)
            with lock:
                got.append((index, entry.trace_id))

    threads = [threading.Thread(target=append, args=(store, s * threads_per_store + t))
               for s, store in enumerate(stores) for t in range(threads_per_store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    total = len(threads) * each
    assert sorted(i for i, _ in got) == list(range(total))
    # Each index holds the entry its appender was told, and the tree matches the entries.
    stored = stores[0].access_entries(0, total)
    assert {(i, e.trace_id) for i, e in enumerate(stored)} == set(got)
    leaves = stores[1].access_leaves(0, total)
    assert leaves == [entry_leaf(e) for e in stored]
    assert stores[0].access_nodes([(6, 0)])[(6, 0)] == root_of(leaves[:64])


def test_reading_nodes_probes_the_primary_key_not_the_table(
        store: DurableStore, durable_backend: DurableBackend,
        request: pytest.FixtureRequest) -> None:
    # A proof must cost O(log n) reads: the plan of the nodes query on a big table may not
    # scan it (the row-value IN first used here did, on SQLite).
    wanted = [(level, 7) for level in range(20)]
    if durable_backend.name == "sqlite":
        db = sqlite3.connect(":memory:")
        db.executescript(sqlite_access_log.ACCESS_LOG_SCHEMA)
        plan = " | ".join(row[3] for row in db.execute(
            "EXPLAIN QUERY PLAN " + sqlite_access_log.nodes_query(len(wanted)),
            [part for node in wanted for part in node]))
        db.close()
        assert "SEARCH n USING PRIMARY KEY" in plan and "SCAN n" not in plan, plan
        return
    durable_backend.raw("INSERT INTO access_nodes SELECT 0, g, sha256(g::text::bytea)"
                        " FROM generate_series(0, 199999) AS g")
    import psycopg

    with psycopg.connect(request.getfixturevalue("postgres_url")) as db:
        db.execute("ANALYZE access_nodes")
        plan = " | ".join(str(row[0]) for row in db.execute(
            "EXPLAIN " + postgres_access_log.NODES_QUERY,  # type: ignore[operator]
            ([lv for lv, _ in wanted], [i for _, i in wanted])))
    assert "Seq Scan on access_nodes" not in plan, plan


def test_a_missing_tree_node_fails_the_append_and_writes_nothing(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    for n in range(3):
        store.append_access(_entry(n))
    # Entry 3 completes (0, 2)+(0, 3) and then (1, 0)+(1, 1): take (1, 0) away.
    _allow_deleting_nodes(durable_backend)
    durable_backend.raw("DELETE FROM access_nodes WHERE level = 1 AND idx = 0")
    with pytest.raises(StorageError) as caught:
        store.append_access(_entry(3))
    assert caught.value.code == "corrupt_record" and "(1, 0)" in str(caught.value)
    assert store.access_size() == 3
    assert store.access_nodes([(0, 3)]) == {}


def test_a_malformed_tree_node_fails_the_append_and_writes_nothing(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    store.append_access(_entry(0))
    _allow_deleting_nodes(durable_backend)
    durable_backend.raw("DELETE FROM access_nodes WHERE level = 0 AND idx = 0")
    durable_backend.raw("INSERT INTO access_nodes VALUES (0, 0, ?)", (b"short",))
    with pytest.raises(StorageError) as caught:
        store.append_access(_entry(1))
    assert caught.value.code == "corrupt_record"
    assert store.access_size() == 1


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 1023, 1024, 2**40 - 1])
def test_an_append_at_any_size_writes_the_nodes_completed_nodes_names(
        store: DurableStore, durable_backend: DurableBackend, size: int) -> None:
    # A log of `size` entries of which only the last row and the siblings the next append
    # combines are stored (made-up hashes), with two nodes it must not use.
    wanted = []
    level, position = 0, size
    while position % 2 == 1:
        wanted.append((level, position - 1))
        level, position = level + 1, position // 2
    durable_backend.raw("INSERT INTO access_log VALUES (?, 'c', 'p', ?)", (size - 1, b"\x00"))
    siblings = {(lv, i): bytes([lv + 1]) * 32 for lv, i in wanted}
    top = len(wanted)  # the append's highest node is (top, size >> top); beside it:
    for (lv, i), value in [*siblings.items(), ((top, (size >> top) + 1), b"d" * 32),
                           ((0, size + 2), b"e" * 32)]:
        durable_backend.raw("INSERT INTO access_nodes VALUES (?, ?, ?)", (lv, i, value))
    entry = _entry(size)
    assert store.append_access(entry) == size
    expected = dict(completed_nodes(size, entry_leaf(entry), siblings.__getitem__))
    assert store.access_nodes(list(expected)) == expected
    assert store.access_entries(size, size + 1) == [entry]


@pytest.mark.parametrize("durable_backend", ["postgres"], indirect=True)
def test_an_append_probes_the_primary_keys(
        store: DurableStore, durable_backend: DurableBackend,
        request: pytest.FixtureRequest) -> None:
    # 2**17 - 1 entries: the next append reads the last index and combines 17 siblings.
    size = 2**17 - 1
    durable_backend.raw("INSERT INTO access_log SELECT g, 'c', 'p', '\\x00'::bytea"
                        " FROM generate_series(0, ?) AS g", (size - 1,))
    durable_backend.raw("INSERT INTO access_nodes SELECT l, g, sha256(g::text::bytea)"
                        " FROM generate_series(0, 16) AS l,"
                        " generate_series(0, (? >> l) - 1) AS g", (size,))
    import psycopg

    entry = _entry(size)
    data = canonical_bytes(entry)
    plans: list[str] = []
    with psycopg.connect(request.getfixturevalue("postgres_url"), autocommit=True) as db:
        db.execute("ANALYZE access_log")
        db.execute("ANALYZE access_nodes")
        # auto_explain sends the plan of every statement the function runs as a notice.
        db.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on",
                        "log_level = notice"):
            db.execute(f"SET auto_explain.{setting}")
        db.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
        index = db.execute(postgres_access_log._APPEND, (
            entry.citizen, entry.client_id, data, entry_leaf(entry))).fetchone()
    assert index == (size,)
    nested = [plan for plan in plans if "access_" in plan]
    assert sum("FROM access_nodes WHERE" in plan for plan in nested) == 17, plans
    assert nested and not any("Seq Scan" in plan for plan in nested), nested
