"""The data-access log's integrity: RFC 9162 Merkle hashing, proofs, signed checkpoints.

Framework-free and storage-free: the stores (:mod:`eid.storage`) keep entries and
tree nodes and call these functions; a citizen or an auditor verifies a proof with
them, or with any RFC 9162 implementation.
"""

from __future__ import annotations

from eid.audit.entry import ACTIONS, AccessEntry, canonical_bytes, entry_from_bytes
from eid.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Node,
    TreeHasher,
    completed_nodes,
    consistency_ranges,
    hash_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    proof_nodes,
    range_nodes,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from eid.audit.note import (
    Checkpoint,
    NoteSigner,
    open_checkpoint,
    open_note,
    parse_verifier_key,
)

__all__ = [
    "ACTIONS",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AccessEntry",
    "Checkpoint",
    "Node",
    "NoteSigner",
    "TreeHasher",
    "canonical_bytes",
    "completed_nodes",
    "consistency_ranges",
    "entry_from_bytes",
    "entry_leaf",
    "hash_ranges",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_verifier_key",
    "proof_nodes",
    "range_nodes",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]


def entry_leaf(entry: AccessEntry) -> bytes:
    """The entry's leaf hash: ``SHA-256(0x00 || canonical_bytes(entry))``."""
    return leaf_hash(canonical_bytes(entry))
