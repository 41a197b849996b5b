"""The PostgreSQL registry at scale: load, size on disk, ID lookups, name + birth-date search.

    nice -n 10 python -m bench.registry_pg --people 10000000 --dir /work/pg-bench
    python -m bench.registry_pg --quick         # a tiny run: the harness works, figures mean little

Steps, all in one run, against a throw-away PostgreSQL server started as the tests
start theirs (``tests/servers.py``: initdb into ``--dir``, loopback port, ``fsync=off``;
``shared_buffers`` raised to a quarter of this machine's memory), or ``--database-url``:

1. ``eid population generate --database-url`` (the deterministic generator, worker
   processes, one ``COPY``, indexes after, ``ANALYZE``, all in one transaction): wall time
   and rows/s;
2. size on disk: the table, its indexes, the total (``pg_relation_size``,
   ``pg_indexes_size``, ``pg_total_relation_size``) and bytes per person;
3. ID lookups from one Python thread, in interleaved wall-clock slices
   (:func:`bench._timing.interleaved`): :meth:`PostgresRegistry.get` (pool checkout with
   its connection check, query, decode into a ``Citizen``) against the same indexed
   ``SELECT`` on a bare connection and a ``SELECT 1`` round trip, on random existing IDs
   (each read once unmeasured first: a running service's pages are in memory);
4. what the server alone sustains with several clients: ``pgbench`` running the same
   indexed ``SELECT`` from ``--clients`` connections for ``--seconds`` (when pgbench is
   installed; client and server share this machine's cores);
5. name + birth-date search (:meth:`PostgresRegistry.search`) for random existing
   people: wall-clock p50 / p99 after one unmeasured pass.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench._args import positive
from bench._timing import interleaved
from eid.population.generator import Progress
from eid.population.postgres import PostgresRegistry
from eid.population.postgres_load import generate_to_postgres
from eid.population.registry import DEFAULT_SEARCH_LIMIT

__all__ = ["main"]

_LOOKUP = "SELECT record FROM citizens WHERE id_number = %s"
# pgbench picks a row number; the sampled IDs are not contiguous, so they sit in a table.
_PGBENCH_LOOKUP = ("SELECT record FROM citizens"
                   " WHERE id_number = (SELECT id FROM bench_ids WHERE n = :n);\n")


def _cycle(items: Sequence[str], call: Callable[[str], object]) -> Callable[[], object]:
    it: Iterator[str] = iter(())

    def step() -> object:
        nonlocal it
        try:
            item = next(it)
        except StopIteration:
            it = iter(items)
            item = next(it)
        return call(item)

    return step


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


@contextmanager
def _server(url: str | None, root: Path) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from tests.servers import postgres_server

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    settings = (f"shared_buffers={max(128, memory // 4 // 2**20)}MB",
                "max_wal_size=8GB", "checkpoint_timeout=30min")
    with postgres_server(root, settings) as server:
        yield server.url


def _pgbench(url: str, ids: list[str], clients: int, seconds: int, root: Path) -> float | None:
    binary = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if binary is None:
        print("server alone: pgbench not installed, skipped")
        return None
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_ids")
        conn.execute("CREATE TABLE bench_ids (n integer PRIMARY KEY, id bigint NOT NULL)")
        with conn.cursor() as cur, cur.copy("COPY bench_ids FROM STDIN") as copy:
            for n, id_number in enumerate(ids, 1):
                copy.write_row((n, int(id_number)))
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        script = Path(tmp) / "lookup.sql"
        script.write_text(f"\\set n random(1, {len(ids)})\n" + _PGBENCH_LOOKUP)
        out = subprocess.run(  # noqa: S603 - our own arguments
            [binary, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
             "-T", str(seconds), "-f", str(script), url],
            capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_ids")
    found = re.search(r"tps = ([\d.]+)", out)
    tps = float(found.group(1)) if found else 0.0
    print(f"server alone (pgbench, {clients} clients, {seconds} s, prepared): {tps:,.0f}"
          " indexed lookups/s")
    return tps


def run(url: str, people: int, seed: str, workers: int | None, quiet: bool, *,
        rounds: int, batch: int, searches: int, clients: int, seconds: int,
        root: Path) -> dict[str, float]:
    """Every step; returns the figures (also printed)."""
    start = time.perf_counter()
    generate_to_postgres(url, people=people, seed=seed, workers=workers,
                         progress=None if quiet else Progress(people))
    load_s = time.perf_counter() - start
    print(f"generation + load: {people:,} people in {load_s:,.1f} s ({people / load_s:,.0f}"
          " rows/s; COPY, indexes after, ANALYZE, one transaction)")
    with psycopg.connect(url, autocommit=True) as conn:
        table, indexes, total = conn.execute(
            "SELECT pg_relation_size('citizens'), pg_indexes_size('citizens'),"
            " pg_total_relation_size('citizens')").fetchone() or (0, 0, 0)
        per_index = conn.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index"
            " WHERE indrelid = 'citizens'::regclass ORDER BY 1").fetchall()
        sample = min(20_000, people)
        ids = [f"{n:012d}" for (n,) in conn.execute(
            "SELECT id_number FROM citizens ORDER BY random() LIMIT %s", (sample,))]
    print(f"size on disk: table {_mib(table)}, indexes {_mib(indexes)}"
          f" ({', '.join(f'{name} {_mib(size)}' for name, size in per_index)}),"
          f" total {_mib(total)} = {total / people:,.0f} B/person")
    figures = {"people": people, "load_s": load_s, "rows_per_s": people / load_s,
               "table_bytes": table, "index_bytes": indexes, "total_bytes": total}
    random.Random(f"bench/{seed}").shuffle(ids)  # noqa: S311 - a reproducible order

    with PostgresRegistry(url) as registry, psycopg.connect(url, autocommit=True) as bare:
        bare.prepare_threshold = 0  # prepared on first use, as psycopg does for the registry

        def select(i: str) -> object:
            return bare.execute(_LOOKUP, (int(i),)).fetchone()

        m = interleaved(
            {"get": _cycle(ids, registry.get), "select": _cycle(ids, select),
             "select1": _cycle(ids, lambda i: bare.execute("SELECT 1").fetchone())},
            baseline="select1", rounds=rounds, batch=batch,
            warmup=-(-len(ids) // batch), clock=time.perf_counter,
        )
        get, sel, one = m.rates["get"], m.rates["select"], m.rates["select1"]
        figures |= {"lookups_per_s": get, "select_per_s": sel, "select1_per_s": one}
        print(f"ID lookups, one thread (get: pool, check, query, decode): {get:,.0f}/s"
              f" = {get / sel:.2f} x the bare indexed SELECT ({sel:,.0f}/s)"
              f" = {m.median_ratio['get']:.2f} x SELECT 1 ({one:,.0f}/s)")
        server = _pgbench(url, ids, clients, seconds, root)
        if server is not None:
            figures["server_lookups_per_s"] = server

        wanted = [registry.get(i) for i in ids[:searches]]
        for citizen in wanted:  # one unmeasured pass: the name index's pages in memory
            registry.search(citizen.full_name, citizen.birth_date)
        latencies = []
        for citizen in wanted:
            t0 = time.perf_counter()
            found = registry.search(citizen.full_name, citizen.birth_date)
            latencies.append(time.perf_counter() - t0)
            # A common name on a common (or year-only) birth date can have more matches than
            # the default limit: the person must then be beyond the page, never missing.
            if citizen not in found and len(found) < DEFAULT_SEARCH_LIMIT:
                raise AssertionError(f"search missed {citizen.id_number}")
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1e3
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3
        figures |= {"search_p50_ms": p50, "search_p99_ms": p99}
        print(f"name + birth-date search: p50 {p50:.3f} ms, p99 {p99:.3f} ms"
              f" ({len(latencies):,} searches, one thread)")
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench.registry_pg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=positive, default=10_000_000)
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--workers", type=positive, default=None)
    parser.add_argument("--clients", type=positive, default=8, help="pgbench connections")
    parser.add_argument("--seconds", type=positive, default=20, help="pgbench duration")
    parser.add_argument("--database-url", default=None,
                        help="use this database (its registry is replaced) instead of"
                        " starting a throw-away server")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the throw-away server keeps its data (default: a"
                        " temporary directory); deleted at the end")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 people, few rounds: the harness works")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.clients, args.seconds = 2_000, 2, 1
    rounds, batch, searches = (3, 50, 100) if args.quick else (15, 2_000, 2_000)
    print(f"python {sys.version.split()[0]}, psycopg {psycopg.__version__}"
          f" (libpq {psycopg.pq.version()}), {os.cpu_count()} CPUs")
    root = args.dir or Path(tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    with _server(args.database_url, root) as url:
        with psycopg.connect(url) as conn:
            print(conn.execute("SELECT version()").fetchone()[0])  # type: ignore[index]
        run(url, args.people, args.seed, args.workers, args.quiet or args.quick,
            rounds=rounds, batch=batch, searches=searches, clients=args.clients,
            seconds=args.seconds, root=root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
