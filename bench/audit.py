"""The data-access log at scale: ``python -m bench.audit`` (``--entries 1000000`` default).

Figures, on a SQLite file (WAL, fsync on, as the service runs it):

- appends/s with one writer and with 8 threads (the group commit shares fsyncs),
  appended to a log that already holds ``--entries`` entries: an append reads and
  writes ``O(log n)`` tree nodes, so the rate should not depend on the log's size;
- inclusion and consistency proof times at that size (median and 95th percentile
  over random indexes), each one query for ``O(log n)`` stored nodes;
- ``eid audit verify``'s rate (entries re-hashed and checked per second) over the
  first ``--verify`` entries.

The log is bulk-loaded first with exactly the rows ``append_access`` writes (canonical
entry bytes, leaf and complete-subtree hashes from :mod:`eid.audit`) in large
transactions: appending a million entries one by one would only measure the same
append rate for an hour. The load is checked: the tree root the store computes from
its nodes equals the root over the loaded leaves.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench._args import positive
from eid.audit import AccessEntry, TreeHasher, canonical_bytes, completed_nodes, leaf_hash
from eid.oidc.log_key import log_signer
from eid.storage import SqliteDurableStore
from eid.storage.access_proofs import consistency_proof, inclusion_proof, sign_checkpoint, tree_root
from eid.storage.access_verify import verify_log

ORIGIN = "bench.example/audit"
CHUNK = 50_000


def _entry(n: int) -> AccessEntry:
    return AccessEntry(time=1_700_000_000 + n, citizen=f"0011900{n % 100_000:05d}",
                       client_id=f"portal-{n % 37}", organisation="Cổng dịch vụ công tỉnh",
                       action="userinfo", procedure="CT01" if n % 2 else None,
                       purpose=None if n % 2 else "Đăng ký khai sinh",
                       attributes=("name", "birthdate", "address"),
                       basis="consent:openid profile address", trace_id=f"{n:032x}")


def bulk_load(path: Path, entries: int) -> bytes:
    """Write ``entries`` entries as ``append_access`` would; the root over them."""
    SqliteDurableStore(path).close()  # the schema, owner-only file
    db = sqlite3.connect(path, isolation_level=None)
    hasher = TreeHasher()
    last: dict[int, bytes] = {}  # the newest node per level: the next one's left sibling
    for start in range(0, entries, CHUNK):
        rows, nodes = [], []
        for index in range(start, min(start + CHUNK, entries)):
            entry = _entry(index)
            data = canonical_bytes(entry)
            leaf = leaf_hash(data)
            hasher.append(leaf)
            rows.append((index, entry.citizen, entry.client_id, data))
            for (level, position), value in completed_nodes(index, leaf,
                                                            lambda n: last[n[0]]):
                last[level] = value
                nodes.append((level, position, value))
        db.execute("BEGIN")
        db.executemany("INSERT INTO access_log VALUES (?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO access_nodes VALUES (?, ?, ?)", nodes)
        db.execute("COMMIT")
    db.close()
    return hasher.root()


def _appends(store: SqliteDurableStore, count: int, threads: int) -> float:
    """Appends per second with ``threads`` writers sharing ``count`` appends."""
    start_gate = threading.Barrier(threads + 1)
    base = store.access_size()

    def work(worker: int) -> None:
        start_gate.wait()
        for i in range(worker, count, threads):
            store.append_access(_entry(base + i))

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    return count / (time.perf_counter() - began)


def _times(call: Callable[[int], object], args: Sequence[int]) -> tuple[float, float]:
    """Median and 95th percentile of ``call(arg)`` in milliseconds."""
    spent = []
    for arg in args:
        began = time.perf_counter()
        call(arg)
        spent.append((time.perf_counter() - began) * 1000)
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, int(len(spent) * 0.95))]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its figures; ``--quick`` for a smoke run."""
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run, figures meaningless")
    parser.add_argument("--entries", type=positive, default=1_000_000)
    parser.add_argument("--verify", type=positive, default=100_000,
                        help="entries `eid audit verify` is timed over")
    args = parser.parse_args(argv)
    entries, verify_over = (2_000, 2_000) if args.quick else (args.entries, args.verify)
    appends, threaded, proofs = (20, 40, 20) if args.quick else (500, 4_000, 300)
    rng = random.Random(9162)  # noqa: S311 (indexes to probe, not secrets)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.sqlite"
        began = time.perf_counter()
        root = bulk_load(path, entries)
        loaded = time.perf_counter() - began
        store = SqliteDurableStore(path)
        try:
            assert tree_root(store, entries) == root, "the bulk load is not what appends write"
            print(f"log of {entries} entries bulk-loaded in {loaded:.1f} s "
                  f"({path.stat().st_size / entries:.0f} bytes per entry with its nodes)")
            one = _appends(store, appends, 1)
            eight = _appends(store, threaded, 8)
            print(f"appends/s at {entries} entries: {one:,.0f} (1 writer), "
                  f"{eight:,.0f} (8 threads, group commit); ratio {eight / one:.1f}")
            size = store.access_size()
            median, p95 = _times(lambda i: inclusion_proof(store, i, size),
                                 [rng.randrange(size) for _ in range(proofs)])
            print(f"inclusion proof at {size} entries: {median:.2f} ms median, "
                  f"{p95:.2f} ms p95 ({len(inclusion_proof(store, 0, size))} hashes)")
            median, p95 = _times(lambda m: consistency_proof(store, m, size),
                                 [rng.randrange(1, size) for _ in range(proofs)])
            print(f"consistency proof to {size} entries: {median:.2f} ms median, "
                  f"{p95:.2f} ms p95")
            # verify_log checks the whole log; time it on a log of verify_over entries
            # (a second file), so the figure is a rate that scales to any size.
        finally:
            store.close()
        small = Path(folder) / "verify.sqlite"
        bulk_load(small, verify_over)
        store = SqliteDurableStore(small)
        try:
            signer = log_signer(store, ORIGIN)
            sign_checkpoint(store, signer, now=time.time())
            began = time.perf_counter()
            report = verify_log(store, signer.verifier_key)
            spent = time.perf_counter() - began
            assert report.intact, report.problem
            print(f"eid audit verify: {verify_over / spent:,.0f} entries/s "
                  f"({verify_over} entries in {spent:.1f} s)")
        finally:
            store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
