"""Proofs and checkpoints over a :class:`~eid.storage.durable.DurableStore`'s data-access log.

Each function reads the ``O(log n)`` stored tree nodes it needs in one query
(:meth:`~eid.storage.durable.DurableStore.access_nodes`) and hashes them with
:mod:`eid.audit.merkle`; none reads the entries.
"""

from __future__ import annotations

from eid.audit import (
    EMPTY_ROOT,
    Checkpoint,
    NoteSigner,
    consistency_ranges,
    hash_ranges,
    inclusion_ranges,
    proof_nodes,
)
from eid.errors import AuditError, StorageError
from eid.storage.durable import DurableStore
from eid.storage.records import StoredCheckpoint

__all__ = ["consistency_proof", "inclusion_proof", "sign_checkpoint", "tree_root"]


def _hashes(store: DurableStore, ranges: list[tuple[int, int]]) -> list[bytes]:
    try:
        return hash_ranges(ranges, store.access_nodes(proof_nodes(ranges)))
    except AuditError as exc:  # missing_node: the tables were changed behind our back
        raise StorageError(str(exc), code="corrupt_record") from exc


def _check_size(store: DurableStore, size: int) -> None:
    if size > store.access_size():
        raise AuditError(f"the log has fewer than {size} entries", code="invalid_tree_size")


def tree_root(store: DurableStore, size: int) -> bytes:
    """MTH of the first ``size`` entries (RFC 9162 §2.1.1).

    :raises AuditError: ``invalid_tree_size`` for a size the log has not reached.
    """
    if size < 0:
        raise AuditError("a tree size is not negative", code="invalid_tree_size")
    _check_size(store, size)
    return EMPTY_ROOT if size == 0 else _hashes(store, [(0, size)])[0]


def inclusion_proof(store: DurableStore, index: int, size: int) -> list[bytes]:
    """The inclusion proof of entry ``index`` in the tree of ``size`` (RFC 9162 §2.1.3.1).

    :raises AuditError: ``invalid_tree_size`` unless ``0 <= index < size <= log size``.
    """
    ranges = inclusion_ranges(index, size)
    _check_size(store, size)
    return _hashes(store, ranges)


def consistency_proof(store: DurableStore, first: int, second: int) -> list[bytes]:
    """The consistency proof from ``first`` to ``second`` entries (RFC 9162 §2.1.4.1).

    :raises AuditError: ``invalid_tree_size`` unless ``0 < first <= second <= log size``.
    """
    ranges = consistency_ranges(first, second)
    _check_size(store, second)
    return _hashes(store, ranges)


def sign_checkpoint(store: DurableStore, signer: NoteSigner, *, now: float,
                    size: int | None = None) -> StoredCheckpoint:
    """Sign and store a checkpoint of the first ``size`` entries (default: all) unless the
    latest checkpoint is that large already; the latest checkpoint either way.

    Several workers and instances may call this at once: the store keeps one checkpoint
    per size and only ever a larger one (a compare-and-set), so a signer that lost the
    race returns the winner's.

    :raises AuditError: ``invalid_tree_size`` for a size the log has not reached.
    :raises StorageError: ``storage_unavailable``.
    """
    latest = store.latest_checkpoint()
    target = store.access_size() if size is None else size
    if latest is not None and latest.size >= target:
        return latest
    root = tree_root(store, target)
    note = signer.sign(Checkpoint(signer.name, target, root))
    store.save_checkpoint(StoredCheckpoint(target, root, note, now))
    stored = store.latest_checkpoint()
    if stored is None:  # pragma: no cover - just saved; only a wiped table gets here
        raise StorageError("the checkpoint just saved is gone", code="corrupt_record")
    return stored
