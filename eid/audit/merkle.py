"""The log's Merkle tree as RFC 9162 (Certificate Transparency v2) §2.1 defines it.

* §2.1.1: ``MTH({}) = SHA-256()``, a leaf is ``SHA-256(0x00 || entry)``, an inner node
  ``SHA-256(0x01 || left || right)``, and the tree of ``n > 1`` leaves splits at ``k``,
  the largest power of two smaller than ``n``;
* §2.1.3: inclusion proofs and their verification;
* §2.1.4: consistency proofs and their verification.

A store keeps every leaf hash and every *complete* subtree hash (``Node`` ``(level,
index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``), written once
when its last leaf is appended (:func:`completed_nodes`). Every subtree a proof needs
is either complete or the right edge of one, which is at most ``log2 n`` complete
subtrees, so a proof is computed from ``O(log n)`` stored nodes read in one batch
(:func:`proof_nodes`, :func:`hash_ranges`), never from the whole log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from eid.errors import AuditError

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "Node", "TreeHasher", "completed_nodes",
           "consistency_ranges", "hash_ranges", "inclusion_ranges", "leaf_hash", "node_hash",
           "proof_nodes", "range_nodes", "root_of", "verify_consistency", "verify_inclusion"]

Node = tuple[int, int]  # (level, index): a complete subtree of 2**level leaves
Range = tuple[int, int]  # leaves [start, end)

HASH_SIZE: Final = 32
#: RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
# A tree of 2**63 leaves is more than any log will hold; longer proofs are hostile input.
_MAX_PATH: Final = 64


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeHasher:
    """The root over leaf hashes fed one by one, in ``O(log n)`` memory (``eid audit
    verify`` streams a whole log through it)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # complete subtrees, largest first
        self.size = 0

    def append(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            value = node_hash(self._stack.pop()[1], value)
            level += 1
        self._stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves so far: the complete subtrees folded from the right, which
        is exactly the split at the largest power of two of §2.1.1."""
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes (already ``leaf_hash``-ed)."""
    hasher = TreeHasher()
    for leaf in leaves:
        hasher.append(leaf)
    return hasher.root()


def completed_nodes(index: int, leaf: bytes,
                    stored: Callable[[Node], bytes]) -> list[tuple[Node, bytes]]:
    """The nodes appending leaf ``index`` completes: the leaf itself, then each subtree it
    closes (``stored`` gives the left siblings, already stored), bottom up."""
    made = [((0, index), leaf)]
    level, value, position = 0, leaf, index
    while position % 2 == 1:
        value = node_hash(stored((level, position - 1)), value)
        level, position = level + 1, position // 2
        made.append(((level, position), value))
    return made


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up leaves ``[start, end)``, left to right (for the
    ranges a proof names, sizes strictly decreasing)."""
    nodes: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length()
        while (1 << level) > end - start:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _check_size(first: int, second: int) -> None:
    if not 0 <= first < second:
        raise AuditError(f"no proof for {first} in a tree of {second}", code="invalid_tree_size")


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes are the inclusion proof of leaf ``index`` in the tree
    of ``size`` leaves, in proof order (RFC 9162 §2.1.3.1, PATH(m, D[n])).

    :raises AuditError: ``invalid_tree_size`` unless ``0 <= index < size``.
    """
    _check_size(index, size)
    top_down: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
    # PATH(m, D[0:k]) : MTH(D[k:n]): the deeper sibling comes first.
    return top_down[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The leaf ranges whose hashes prove the tree of ``first`` leaves a prefix of the tree
    of ``second`` (RFC 9162 §2.1.4.1, PROOF(m, D[n]) = SUBPROOF(m, D[n], true)); empty
    when the sizes are equal.

    :raises AuditError: ``invalid_tree_size`` unless ``0 < first <= second``.
    """
    if first == second and first > 0:
        return []
    _check_size(first, second)
    if first == 0:
        raise AuditError("no consistency proof from an empty tree", code="invalid_tree_size")
    top_down: list[Range] = []
    lo, hi, m, whole = 0, second, first, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        top_down.append((lo, hi))
    return top_down[::-1]


def proof_nodes(ranges: Sequence[Range]) -> list[Node]:
    """Every stored node ``ranges`` need (what a store reads, in one query)."""
    return sorted({node for start, end in ranges for node in range_nodes(start, end)})


def hash_ranges(ranges: Sequence[Range], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof: MTH of each range, from the stored complete subtrees in ``nodes``.

    :raises AuditError: ``missing_node`` when ``nodes`` lacks one (a damaged store).
    """
    proof = []
    for start, end in ranges:
        try:
            parts = [nodes[node] for node in range_nodes(start, end)]
        except KeyError as exc:
            raise AuditError(f"the log lacks node {exc.args[0]}", code="missing_node") from exc
        value = parts[-1]
        for left in reversed(parts[:-1]):
            value = node_hash(left, value)
        proof.append(value)
    return proof


def _check_hashes(values: Sequence[bytes]) -> None:
    if len(values) > _MAX_PATH or not all(
            isinstance(v, bytes) and len(v) == HASH_SIZE for v in values):
        raise AuditError("malformed proof", code="invalid_proof")


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes],
                     root: bytes) -> None:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree of ``size`` leaves
    whose root is ``root`` (RFC 9162 §2.1.3.2).

    :raises AuditError: ``invalid_proof`` when it is not.
    """
    _check_hashes([leaf, root, *path])
    if not 0 <= index < size:  # step 1
        raise AuditError("the index is outside the tree", code="invalid_proof")
    fn, sn, r = index, size - 1, leaf  # steps 2, 3
    for p in path:  # step 4
        if sn == 0:
            raise AuditError("the proof is too long", code="invalid_proof")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:  # step 5
        raise AuditError("the proof does not lead to the root", code="invalid_proof")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> None:
    """Check that the tree of ``first`` leaves with root ``first_root`` is a prefix of
    the tree of ``second`` leaves with root ``second_root`` (RFC 9162 §2.1.4.2). Equal
    sizes need an empty proof and equal roots (§2.1.4.1 gives no proof for them).

    :raises AuditError: ``invalid_proof`` when it is not.
    """
    _check_hashes([first_root, second_root, *path])
    if first == second and first > 0:
        if path or first_root != second_root:
            raise AuditError("equal sizes with different roots", code="invalid_proof")
        return
    if not 0 < first < second or not path:  # step 1
        raise AuditError("no consistency proof for these sizes", code="invalid_proof")
    values = list(path)
    if first & (first - 1) == 0:  # step 2: first is a power of two
        values.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = values[0]  # step 5
    for c in values[1:]:  # step 6
        if sn == 0:
            raise AuditError("the proof is too long", code="invalid_proof")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if fr != first_root or sr != second_root or sn != 0:  # step 7
        raise AuditError("the proof does not join the two roots", code="invalid_proof")
