"""A deterministic synthetic population, written as a SQLite registry (or, through
:mod:`eid.population.postgres_load`, loaded into PostgreSQL).

``generate(out, people=..., seed=...)`` (and ``eid population generate``) fills
a registry with households of realistic Vietnamese people living in real
communes of the chosen 2025 provinces (default Hồ Chí Minh City, 79, which
since 1 July 2025 includes Bình Dương). Same seed, people count and provinces:
the same people in the same rows.

How it stays fast at provincial scale (2.6 million people):

* people are made in chunks of households (:mod:`eid.population.synthetic`),
  each chunk from its own seeded RNG, so worker processes can build chunks in
  parallel while this process inserts them *in chunk order* – determinism
  does not depend on scheduling;
* rows go in with ``executemany``, journal and fsync off, and the indexes are
  built once at the end (one sort each instead of upkeep per row);
* the file is written under a temporary name and renamed into place only when
  complete, so a crash never leaves a half-written registry behind.

Every generated account has the one documented test password
(:data:`GENERATED_PASSWORD`) and shares one precomputed scrypt hash.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from eid.errors import ConfigurationError, NotFoundError, StorageError
from eid.population.sqlite_schema import INSERT_ROW, Row, create_indexes, create_tables
from eid.population.synthetic import ChunkSpec, generate_chunk
from eid.population.synthetic_tables import population_tables
from eid.population.units import communes_of

__all__ = ["DEFAULT_PROVINCES", "GENERATED_PASSWORD", "Progress", "chunk_rows", "generate", "plan"]

#: Hồ Chí Minh City, which since 1 July 2025 includes Bình Dương (ID prefix 074).
DEFAULT_PROVINCES = (79,)
#: The password of every generated account (test data only).
GENERATED_PASSWORD = "Dan-so-2025"  # noqa: S105 - documented test data, not a secret
CHUNK_PEOPLE = 10_000


class Progress:
    """A progress line on stderr: a ``\\r`` bar with rate and ETA on a terminal, else a line
    every 10%. Silent when ``stream`` is ``None``."""

    def __init__(self, total: int, stream: TextIO | None = sys.stderr) -> None:
        self.total, self.stream, self.start = total, stream, time.monotonic()
        self.tty = bool(stream and stream.isatty())
        self.last_tenth = -1

    def update(self, done: int, stage: str = "people") -> None:
        """Report ``done`` of ``total``."""
        if self.stream is None:
            return
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate else 0.0
        if self.tty:
            filled = int(30 * done / max(self.total, 1))
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(
                f"\r[{bar}] {done:,}/{self.total:,} {stage} {rate:,.0f}/s ETA {eta:.0f}s "
            )
        elif (tenth := 10 * done // max(self.total, 1)) > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(f"{done:,}/{self.total:,} {stage} ({rate:,.0f}/s, ETA {eta:.0f}s)\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A separate line (a stage that has no count, e.g. building indexes)."""
        if self.stream is not None:
            self.stream.write(("\n" if self.tty else "") + text + "\n")
            self.stream.flush()


def _communes(provinces: Sequence[int]) -> tuple[tuple[int, int, str], ...]:
    ranges = population_tables().conf["birth_prefix_ranges"]
    result = []
    for code in provinces:
        for commune in communes_of(code):
            # Births are registered under the old province the commune belonged to
            # (the prefix list of Circular 07/2016/TT-BCA is frozen: the 2025 mergers kept it).
            prefix = next(
                (p for low, high, p in ranges.get(str(code), ()) if low <= commune.code <= high),
                f"{code:03d}",
            )
            result.append((code, commune.code, prefix))
    return tuple(result)


def _specs(
    people: int, seed: str, communes: tuple[tuple[int, int, str], ...]
) -> list[ChunkSpec]:
    chunks = max(1, math.ceil(people / CHUNK_PEOPLE))
    return [
        ChunkSpec(seed, i, chunks, min(CHUNK_PEOPLE, people - i * CHUNK_PEOPLE), communes)
        for i in range(chunks)
    ]


def plan(people: int, seed: str | int, provinces: Sequence[int]
         ) -> tuple[list[ChunkSpec], dict[str, str]]:
    """The chunks that make ``people`` citizens, and the registry's metadata.

    :raises ConfigurationError: ``bad_people`` (below 1), ``unknown_province``.
    """
    if people < 1:
        raise ConfigurationError(f"people must be at least 1, not {people}", code="bad_people")
    if not provinces:
        raise ConfigurationError("at least one province is needed", code="unknown_province")
    try:
        communes = _communes(provinces)
    except NotFoundError as exc:
        raise ConfigurationError(str(exc), code="unknown_province") from exc
    meta = {"seed": str(seed), "people": str(people), "generator": "eid.population/1",
            "provinces": ",".join(map(str, provinces)),
            "as_of": population_tables().conf["as_of"]}
    return _specs(people, str(seed), communes), meta


def chunk_rows(specs: list[ChunkSpec], workers: int | None = None) -> Iterator[list[Row]]:
    """The rows of each chunk in chunk order, built by ``workers`` processes (default:
    one per CPU); the rows do not depend on ``workers``."""
    if workers is None:
        workers = os.cpu_count() or 1
    if workers <= 1 or len(specs) == 1:
        yield from map(generate_chunk, specs)
        return
    # imap keeps chunk order whatever order workers finish in: determinism is preserved.
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ctx.Pool(workers) as pool:
        yield from pool.imap(generate_chunk, specs)


def generate(
    out: str | os.PathLike[str],
    *,
    people: int,
    seed: str | int = 1,
    provinces: Sequence[int] = DEFAULT_PROVINCES,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write a registry of ``people`` synthetic citizens to ``out`` (replacing it).

    :param workers: processes building chunks (default: one per CPU); the result
        does not depend on it.
    :returns: the path written.
    :raises ConfigurationError: ``bad_people`` (below 1), ``unknown_province``.
    :raises StorageError: the file could not be written.
    """
    specs, meta = plan(people, seed, provinces)
    target = Path(out)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A fresh file that is renamed only when complete: no journal, no fsync needed.
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            # Rows arrive in no particular ID-number (rowid) order, so inserts touch pages
            # all over the table: a page cache the size of the table keeps them off the disk.
            conn.execute("PRAGMA cache_size=-4194304")
            conn.execute("BEGIN")
            create_tables(conn)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            done = 0
            for rows in chunk_rows(specs, workers):
                conn.executemany(INSERT_ROW, rows)
                done += len(rows)
                if progress:
                    progress.update(done)
            if progress:
                progress.message("building indexes")
            create_indexes(conn)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"could not write {target}: {exc}", code="write_failed") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
