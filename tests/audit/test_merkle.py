"""RFC 9162 §2.1 hashing and proofs, checked against the Certificate Transparency reference
tree and against a reference written here, straight from the RFC's recursive definitions
(§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF), sharing no code with ``eid.audit``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eid.audit import (
    EMPTY_ROOT,
    Node,
    completed_nodes,
    consistency_ranges,
    hash_ranges,
    inclusion_ranges,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from eid.errors import AuditError

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "ct_vectors.json").read_text(encoding="utf-8"))
CT_LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]


# --- the reference: RFC 9162 §2.1, recursion as written -----------------------------
def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return _sha(b"")
    if len(d) == 1:
        return _sha(b"\x00" + d[0])
    k = _k(len(d))
    return _sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- helpers over the code under test ---------------------------------------------------
def _data(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def _nodes(data: list[bytes]) -> dict[Node, bytes]:
    """Every complete subtree, stored the way a store does on append."""
    nodes: dict[Node, bytes] = {}
    for i, entry in enumerate(data):
        nodes.update(completed_nodes(i, leaf_hash(entry), nodes.__getitem__))
    return nodes


def _inclusion(index: int, size: int, nodes: dict[Node, bytes]) -> list[bytes]:
    return hash_ranges(inclusion_ranges(index, size), nodes)


def _consistency(first: int, second: int, nodes: dict[Node, bytes]) -> list[bytes]:
    return hash_ranges(consistency_ranges(first, second), nodes)


ALL = _data(64)
ALL_NODES = _nodes(ALL)


# --- the CT reference tree --------------------------------------------------------------
@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_ct_reference(size: int) -> None:
    assert root_of(leaf_hash(x) for x in CT_LEAVES[:size]).hex() == VECTORS["roots"][size]


def test_the_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == VECTORS["roots"][0]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}-{c['size']}")
def test_inclusion_proofs_match_the_ct_reference(case: dict[str, Any]) -> None:
    nodes = _nodes(CT_LEAVES)
    proof = _inclusion(case["index"], case["size"], nodes)
    assert [p.hex() for p in proof] == case["proof"]
    verify_inclusion(leaf_hash(CT_LEAVES[case["index"]]), case["index"], case["size"], proof,
                     bytes.fromhex(VECTORS["roots"][case["size"]]))


@pytest.mark.parametrize("case", VECTORS["consistency"],
                         ids=lambda c: f"{c['first']}-{c['second']}")
def test_consistency_proofs_match_the_ct_reference(case: dict[str, Any]) -> None:
    nodes = _nodes(CT_LEAVES)
    proof = _consistency(case["first"], case["second"], nodes)
    assert [p.hex() for p in proof] == case["proof"]
    verify_consistency(case["first"], case["second"],
                       bytes.fromhex(VECTORS["roots"][case["first"]]),
                       bytes.fromhex(VECTORS["roots"][case["second"]]), proof)


# --- every shape up to 64 leaves against the reference -----------------------------------
@pytest.mark.parametrize("size", range(1, 65))
def test_every_inclusion_proof_matches_the_reference_and_verifies(size: int) -> None:
    root = ref_mth(ALL[:size])
    assert root_of(leaf_hash(x) for x in ALL[:size]) == root
    for index in range(size):
        proof = _inclusion(index, size, ALL_NODES)
        assert proof == ref_path(index, ALL[:size]), index
        verify_inclusion(leaf_hash(ALL[index]), index, size, proof, root)


@pytest.mark.parametrize("second", range(1, 65))
def test_every_consistency_proof_matches_the_reference_and_verifies(second: int) -> None:
    root = ref_mth(ALL[:second])
    for first in range(1, second + 1):
        proof = _consistency(first, second, ALL_NODES)
        expected = ref_subproof(first, ALL[:second], True) if first < second else []
        assert proof == expected, first
        verify_consistency(first, second, ref_mth(ALL[:first]), root, proof)


def test_the_append_stores_exactly_the_complete_subtrees() -> None:
    for (level, index), value in ALL_NODES.items():
        assert value == ref_mth(ALL[index << level:(index + 1) << level])
    assert len(ALL_NODES) == 2 * 64 - 1


# --- properties ---------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify_and_have_log_length(case: tuple[int, int]) -> None:
    size, index = case
    data = _data(size)
    nodes = _nodes(data)
    proof = _inclusion(index, size, nodes)
    assert len(proof) <= (size - 1).bit_length()
    verify_inclusion(leaf_hash(data[index]), index, size, proof, ref_mth(data))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 300).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_consistency_proofs_verify(case: tuple[int, int]) -> None:
    first, second = case
    data = _data(second)
    proof = _consistency(first, second, _nodes(data))
    verify_consistency(first, second, ref_mth(data[:first]), ref_mth(data), proof)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1),
                                                     st.integers(0, 31))))
def test_any_flipped_bit_in_a_proof_is_caught(case: tuple[int, int, int]) -> None:
    size, index, byte = case
    data = _data(size)
    proof = _inclusion(index, size, _nodes(data))
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bad[i][:byte] + bytes([bad[i][byte] ^ 1]) + bad[i][byte + 1:]
        with pytest.raises(AuditError):
            verify_inclusion(leaf_hash(data[index]), index, size, bad, ref_mth(data))


# --- tampering with the log is detected -------------------------------------------------
def _tampered(kind: str, data: list[bytes]) -> list[bytes]:
    copy = list(data)
    if kind == "changed":
        copy[5] = b"entry 5, but a different client"
    elif kind == "removed":
        del copy[5]
    elif kind == "inserted":
        copy.insert(5, b"an entry added later")
    elif kind == "reordered":
        copy[5], copy[6] = copy[6], copy[5]
    return copy


@pytest.mark.parametrize("kind", ["changed", "removed", "inserted", "reordered"])
def test_tampering_changes_the_root_and_breaks_the_proofs(kind: str) -> None:
    data = _data(20)
    root = ref_mth(data)
    tampered = _tampered(kind, data)
    assert root_of(leaf_hash(x) for x in tampered[:20]) != root
    # An honest old checkpoint (size 10) is no prefix of the tampered log.
    old_root = ref_mth(data[:10])
    new = _nodes(tampered)
    size = len(tampered)
    with pytest.raises(AuditError):
        verify_consistency(10, size, old_root, root_of(leaf_hash(x) for x in tampered),
                           _consistency(10, size, new))
    # What the tampered log now shows at 5, with its proof, fails against the signed root.
    with pytest.raises(AuditError):
        verify_inclusion(leaf_hash(tampered[5]), 5, 20, _inclusion(5, 20, new), root)
    # So does a neighbour's untouched entry: its proof now carries the tampered sibling.
    with pytest.raises(AuditError):
        verify_inclusion(leaf_hash(data[4]), 4, 20, _inclusion(4, 20, new), root)


# --- what the verifiers refuse ------------------------------------------------------------
_H = leaf_hash(b"x")


@pytest.mark.parametrize(("index", "size", "path"), [
    (3, 3, []),  # index outside the tree
    (-1, 3, []),
    (0, 0, []),
    (0, 1, [_H]),  # too long for a single leaf
    (0, 2, []),  # too short
    (0, 2, [b"short"]),  # not a hash
    (0, 2, [_H] * 65),  # hostile length
])
def test_malformed_inclusion_proofs_are_refused(index: int, size: int,
                                                path: list[bytes]) -> None:
    with pytest.raises(AuditError) as caught:
        verify_inclusion(_H, index, size, path, _H)
    assert caught.value.code == "invalid_proof"


@pytest.mark.parametrize(("first", "second", "path"), [
    (0, 4, [_H]),  # from an empty tree
    (5, 4, [_H]),  # shrinking
    (2, 4, []),  # empty proof for different sizes
    (4, 4, [_H]),  # equal sizes take no proof
    (3, 4, [_H] * 65),
])
def test_malformed_consistency_proofs_are_refused(first: int, second: int,
                                                  path: list[bytes]) -> None:
    with pytest.raises(AuditError) as caught:
        verify_consistency(first, second, _H, leaf_hash(b"y"), path)
    assert caught.value.code == "invalid_proof"


@pytest.mark.parametrize(("first", "second"), [(0, 0), (3, 2), (-1, 4), (0, 5)])
def test_proofs_are_not_computed_for_impossible_sizes(first: int, second: int) -> None:
    with pytest.raises(AuditError) as caught:
        consistency_ranges(first, second)
    assert caught.value.code == "invalid_tree_size"


@pytest.mark.parametrize(("index", "size"), [(0, 0), (4, 4), (-1, 2)])
def test_inclusion_is_not_computed_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(AuditError) as caught:
        inclusion_ranges(index, size)
    assert caught.value.code == "invalid_tree_size"


def test_a_missing_node_is_reported_not_guessed() -> None:
    nodes = dict(ALL_NODES)
    del nodes[(0, 1)]
    with pytest.raises(AuditError) as caught:
        _inclusion(0, 2, nodes)
    assert caught.value.code == "missing_node"
