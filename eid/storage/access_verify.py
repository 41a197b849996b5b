"""Check a whole data-access log against its latest signed checkpoint (``eid audit verify``).

Every entry is read back and re-hashed (its leaf), every complete subtree is
recomputed from those leaves, and the root over the checkpoint's size is compared
with the signed root; the stored leaf and node hashes are compared on the way, so
the first entry that was changed, removed or moved is named by its index. The log is
streamed in batches (``O(log n)`` memory for the tree), so a log of millions of
entries is checked in one pass.

What this cannot catch alone: someone who rewrites entries, leaves and nodes
consistently and re-signs with the log's key (kept in the same store) makes a log
that agrees with itself. Pass the verifier key published earlier and keep old
checkpoints: a rewritten history fails the consistency proof from any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eid.audit import EMPTY_ROOT, Checkpoint, Node, entry_leaf, node_hash, open_checkpoint
from eid.errors import AuditError, StorageError
from eid.storage.durable import DurableStore
from eid.storage.records import AccessEntry

__all__ = ["LogProblem", "LogReport", "verify_log"]


@dataclass(frozen=True, slots=True)
class LogProblem:
    """What is wrong: ``index`` is the first bad entry (``None``: the log as a whole)."""

    code: str  # unreadable_entry, missing_entry, leaf_mismatch, node_mismatch, ...
    message: str
    index: int | None = None


@dataclass(frozen=True, slots=True)
class LogReport:
    """The outcome: ``size`` entries read, the checkpoint checked against (if any)."""

    size: int
    checkpoint: Checkpoint | None
    problem: LogProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


class _Mismatch(Exception):
    def __init__(self, problem: LogProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _closed_by(start: int, stop: int) -> list[Node]:
    """The inner nodes (level >= 1) that entries ``[start, stop)`` complete."""
    nodes = []
    for index in range(start, stop):
        level, position = 0, index
        while position % 2 == 1:
            level, position = level + 1, position // 2
            nodes.append((level, position))
    return nodes


def _entry_at(store: DurableStore, index: int) -> AccessEntry:
    try:
        found = store.access_entries(index, index + 1)
    except StorageError as exc:
        if exc.code != "corrupt_record":
            raise
        raise _Mismatch(LogProblem("unreadable_entry", f"entry {index} is not an entry's "
                                   "canonical bytes (changed in place)", index)) from exc
    if not found:
        raise _Mismatch(LogProblem("missing_entry", f"entry {index} is missing", index))
    return found[0]


def _batch(store: DurableStore, start: int, stop: int) -> list[AccessEntry]:
    try:
        entries = store.access_entries(start, stop)
    except StorageError as exc:
        if exc.code != "corrupt_record":
            raise
        entries = []
    if len(entries) == stop - start:
        return entries
    # Short or unreadable: find the first bad index one entry at a time.
    return [_entry_at(store, index) for index in range(start, stop)]


class _Tree:
    """The recomputed tree: a stack of complete subtrees, each compared with the stored one."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []

    def push(self, index: int, leaf: bytes, stored: dict[Node, bytes]) -> None:
        level, position, value = 0, index, leaf
        while self.stack and self.stack[-1][0] == level:
            value = node_hash(self.stack.pop()[1], value)
            level, position = level + 1, position // 2
            if stored.get((level, position)) != value:
                first = position << level
                raise _Mismatch(LogProblem(
                    "node_mismatch", f"the stored tree over entries {first} to "
                    f"{((position + 1) << level) - 1} does not match those entries", first))
        self.stack.append((level, value))

    def root(self) -> bytes:
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = node_hash(left, value)
        return value


def _checkpoint(store: DurableStore, vkey: str, origin: str | None) -> Checkpoint | None:
    latest = store.latest_checkpoint()
    if latest is None:
        return None
    try:
        checkpoint = open_checkpoint(latest.note, vkey, origin=origin)
    except AuditError as exc:
        raise _Mismatch(LogProblem(exc.code, f"the latest checkpoint does not verify: "
                                   f"{exc.message}")) from exc
    if (checkpoint.size, checkpoint.root) != (latest.size, latest.root):
        raise _Mismatch(LogProblem("bad_checkpoint", "the stored checkpoint's size or root "
                                   "differs from its signed note"))
    return checkpoint


def verify_log(store: DurableStore, vkey: str, *, origin: str | None = None, batch: int = 2000,
               progress: Callable[[int, int], None] | None = None) -> LogReport:
    """Check every entry of ``store``'s log and the latest checkpoint (verified with ``vkey``).

    :param origin: the log the checkpoint must be of (default: ``vkey``'s name).
    :param progress: called with (entries checked, entries in all) after each batch.
    :raises StorageError: ``storage_unavailable`` (the check could not finish).
    """
    total = store.access_size()
    checkpoint: Checkpoint | None = None
    tree, checked = _Tree(), 0
    try:
        checkpoint = _checkpoint(store, vkey, origin)
        if checkpoint is not None and checkpoint.size > total:
            raise _Mismatch(LogProblem("missing_entry", f"the log ends at {total} entries, its "
                                       f"checkpoint covers {checkpoint.size}", total))
        for start in range(0, total, batch):
            stop = min(start + batch, total)
            entries = _batch(store, start, stop)
            leaves = store.access_leaves(start, stop)
            stored = store.access_nodes(_closed_by(start, stop))
            for offset, entry in enumerate(entries):
                index = start + offset
                leaf = entry_leaf(entry)
                if offset >= len(leaves) or leaves[offset] != leaf:
                    raise _Mismatch(LogProblem("leaf_mismatch", f"entry {index} does not hash "
                                               "to its stored leaf (changed or moved)", index))
                tree.push(index, leaf, stored)
                checked = index + 1
                if checkpoint is not None and checked == checkpoint.size \
                        and tree.root() != checkpoint.root:
                    raise _Mismatch(LogProblem(
                        "root_mismatch", f"the first {checked} entries do not hash to the "
                        "signed root (rewritten with their tree: compare with an older "
                        "checkpoint's consistency proof)"))
            if progress is not None:
                progress(stop, total)
        if checkpoint is not None and checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise _Mismatch(LogProblem("root_mismatch", "an empty log's checkpoint must sign "
                                       "the empty root"))
        if checkpoint is None and total:
            raise _Mismatch(LogProblem("no_checkpoint", f"{total} entries, no signed "
                                       "checkpoint yet"))
    except _Mismatch as mismatch:
        return LogReport(checked, checkpoint, mismatch.problem)
    return LogReport(checked, checkpoint, None)
