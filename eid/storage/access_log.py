"""What both durable backends share about the data-access log: argument checks and rows.

The log is three append-only tables (the backends' schemas refuse ``UPDATE`` and
``DELETE`` on them): the entries (index, citizen and client for lookups, the entry's
canonical bytes), the tree nodes (every leaf hash and every complete subtree hash,
written with the entry that completes them: :func:`eid.audit.completed_nodes`), and the
signed checkpoints. An entry, its leaf and the nodes it completes are one transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from eid.audit import (
    HASH_SIZE,
    AccessEntry,
    Node,
    canonical_bytes,
    completed_nodes,
    entry_from_bytes,
    leaf_hash,
)
from eid.errors import AuditError, ConfigurationError, StorageError

__all__ = ["append_rows", "check_limit", "check_range", "entry_of", "hash_of", "missing_node"]


def check_range(start: int, stop: int) -> None:
    """:raises ConfigurationError: ``invalid_argument`` unless ``0 <= start <= stop``."""
    if not 0 <= start <= stop:
        raise ConfigurationError(f"no entries [{start}, {stop})", code="invalid_argument")


def check_limit(limit: int, before: int | None) -> None:
    """:raises ConfigurationError: ``invalid_argument`` for a page of no entries."""
    if limit < 1 or (before is not None and before < 0):
        raise ConfigurationError("limit must be positive, before not negative",
                                 code="invalid_argument")


def entry_of(data: object, citizen: str | None = None) -> AccessEntry:
    """The entry a row holds; ``citizen``: the row was found by that citizen.

    :raises StorageError: ``corrupt_record`` when the bytes are no entry's canonical
        form, or name another citizen than the row's lookup column (a changed row must
        never show one citizen another's entry).
    """
    # SQLite keeps any type in any column: a value rewritten as TEXT is no entry either.
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StorageError("corrupt data-access log row", code="corrupt_record")
    try:
        entry = entry_from_bytes(bytes(data))
    except AuditError as exc:
        raise StorageError("corrupt data-access log row", code="corrupt_record") from exc
    if citizen is not None and entry.citizen != citizen:
        raise StorageError("corrupt data-access log row", code="corrupt_record")
    return entry


def append_rows(index: int, entry: AccessEntry,
                stored: Callable[[Node], bytes]) -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """The entry's canonical bytes and the ``(level, index, hash)`` node rows appending it
    as entry ``index`` writes (``stored`` reads a node the same transaction sees). SQLite's
    append; PostgreSQL's makes the same rows in the schema's ``eid_append_access``
    (tests/storage/test_access_log.py checks both against :func:`completed_nodes`)."""
    # The bytes stored are the bytes hashed: encoded once (entry_leaf would encode again).
    data = canonical_bytes(entry)
    return data, [(level, position, value) for (level, position), value
                  in completed_nodes(index, leaf_hash(data), stored)]


def hash_of(value: object) -> bytes:
    """A stored hash as bytes.

    :raises StorageError: ``corrupt_record`` for a value that is not one (a changed row).
    """
    if not isinstance(value, bytes | bytearray | memoryview) or len(value) != HASH_SIZE:
        raise StorageError("corrupt data-access log tree row", code="corrupt_record")
    return bytes(value)


def missing_node(node: Node) -> StorageError:
    """The error when a node the tree needs is absent (the tables were changed)."""
    return StorageError(f"the data-access log lacks tree node {node}", code="corrupt_record")
