"""Proofs, checkpoints and the whole-log check over a store, on SQLite and PostgreSQL:
every kind of tampering is found, with the first bad entry's index."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eid.audit import (
    AccessEntry,
    NoteSigner,
    canonical_bytes,
    completed_nodes,
    entry_leaf,
    open_checkpoint,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from eid.errors import AuditError
from eid.oidc.log_key import log_origin, log_signer
from eid.storage import DurableStore
from eid.storage.access_proofs import (
    consistency_proof,
    inclusion_proof,
    sign_checkpoint,
    tree_root,
)
from eid.storage.access_verify import verify_log

from .conftest import DurableBackend

ORIGIN = "id.example.gov.vn/audit"
TABLES = ("access_log", "access_nodes", "access_checkpoints")


def _entry(n: int) -> AccessEntry:
    return AccessEntry(time=1_700_000_000 + n, citizen=f"0741900000{n % 7:02d}",
                       client_id="portal", organisation="Cổng dịch vụ công",
                       action="userinfo", procedure="CT01", purpose=None,
                       attributes=("name",), basis="consent:openid profile",
                       trace_id=f"trace-{n}")


def _filled(store: DurableStore, n: int = 12) -> list[AccessEntry]:
    entries = [_entry(i) for i in range(n)]
    for entry in entries:
        store.append_access(entry)
    return entries


def _unguard(backend: DurableBackend) -> None:
    """Drop the append-only triggers, as someone with the database's password could."""
    for table in TABLES:
        if backend.name == "sqlite":
            for verb in ("update", "delete"):
                backend.raw(f"DROP TRIGGER {table}_no_{verb}")
        else:
            backend.raw(f"DROP TRIGGER {table}_append_only ON {table}")


@pytest.fixture
def signer(store: DurableStore) -> NoteSigner:
    return log_signer(store, ORIGIN)


def test_the_log_key_survives_a_reopen_and_is_shared(
        store: DurableStore, durable_backend: DurableBackend) -> None:
    assert log_signer(durable_backend.open(), ORIGIN).verifier_key == \
        log_signer(store, ORIGIN).verifier_key


@pytest.mark.parametrize(("issuer", "origin"), [
    ("https://id.example.gov.vn", "id.example.gov.vn/audit"),
    ("http://127.0.0.1:5000", "127.0.0.1:5000/audit"),
    ("https://example.gov.vn/eid", "example.gov.vn/eid/audit"),
])
def test_the_origin_is_the_issuer_without_scheme(issuer: str, origin: str) -> None:
    assert log_origin(issuer) == origin


def test_proofs_from_the_store_verify(store: DurableStore) -> None:
    entries = _filled(store, 21)
    leaves = [entry_leaf(e) for e in entries]
    for size in (1, 2, 7, 16, 21):
        root = tree_root(store, size)
        assert root == root_of(leaves[:size])
        for index in range(size):
            verify_inclusion(leaves[index], index, size,
                             inclusion_proof(store, index, size), root)
        for first in range(1, size + 1):
            verify_consistency(first, size, root_of(leaves[:first]), root,
                               consistency_proof(store, first, size))


@pytest.mark.parametrize("call", [
    lambda s: tree_root(s, 13), lambda s: tree_root(s, -1),
    lambda s: inclusion_proof(s, 3, 13), lambda s: inclusion_proof(s, 12, 12),
    lambda s: consistency_proof(s, 3, 13), lambda s: consistency_proof(s, 0, 5),
])
def test_proofs_beyond_the_log_are_refused(store: DurableStore,
                                           call: Callable[[DurableStore], object]) -> None:
    _filled(store)
    with pytest.raises(AuditError) as caught:
        call(store)
    assert caught.value.code == "invalid_tree_size"


def test_a_checkpoint_is_signed_once_per_size(store: DurableStore,
                                              durable_backend: DurableBackend,
                                              signer: NoteSigner) -> None:
    _filled(store, 5)
    first = sign_checkpoint(store, signer, now=100.0)
    assert open_checkpoint(first.note, signer.verifier_key).size == 5
    # Nothing new: the same checkpoint, from any instance.
    other = durable_backend.open()
    assert sign_checkpoint(other, log_signer(other, ORIGIN), now=200.0) == first
    store.append_access(_entry(5))
    assert sign_checkpoint(store, signer, now=300.0).size == 6
    # An explicit smaller size than the latest is answered with the latest.
    assert sign_checkpoint(store, signer, now=400.0, size=3).size == 6


def test_an_intact_log_verifies(store: DurableStore, signer: NoteSigner) -> None:
    _filled(store)
    sign_checkpoint(store, signer, now=1.0)
    store.append_access(_entry(12))  # after the checkpoint: checked, not yet signed
    seen: list[tuple[int, int]] = []
    report = verify_log(store, signer.verifier_key, batch=5,
                        progress=lambda done, total: seen.append((done, total)))
    assert report.intact and report.size == 13
    assert seen == [(5, 13), (10, 13), (13, 13)]


def test_an_empty_log_with_its_empty_checkpoint_verifies(store: DurableStore,
                                                         signer: NoteSigner) -> None:
    sign_checkpoint(store, signer, now=1.0)
    assert verify_log(store, signer.verifier_key).intact


def test_entries_without_a_checkpoint_are_reported(store: DurableStore,
                                                   signer: NoteSigner) -> None:
    _filled(store, 3)
    problem = verify_log(store, signer.verifier_key).problem
    assert problem is not None and problem.code == "no_checkpoint"


def _rewrite_consistently(backend: DurableBackend, entries: list[AccessEntry]) -> None:
    """Change entry 5 and recompute its leaf and every node over it: only the signed root
    can tell."""
    changed = list(entries)
    changed[5] = AccessEntry(**{**{f: getattr(entries[5], f) for f in (
        "time", "citizen", "client_id", "organisation", "action", "procedure", "purpose",
        "attributes", "basis")}, "trace_id": "forged"})
    backend.raw("UPDATE access_log SET entry = ? WHERE idx = 5", (canonical_bytes(changed[5]),))
    nodes: dict[tuple[int, int], bytes] = {}
    for i, entry in enumerate(changed):
        nodes.update(completed_nodes(i, entry_leaf(entry), nodes.__getitem__))
    for (level, index), value in nodes.items():
        backend.raw("UPDATE access_nodes SET hash = ? WHERE level = ? AND idx = ?",
                    (value, level, index))


TAMPERING: dict[str, tuple[Callable[[DurableBackend, list[AccessEntry]], None], str,
                           int | None]] = {
    "entry-changed": (lambda b, e: b.raw("UPDATE access_log SET entry = ? WHERE idx = 5",
                                         (canonical_bytes(_entry(99)),)), "leaf_mismatch", 5),
    "entry-garbled": (lambda b, e: b.raw("UPDATE access_log SET entry = ? WHERE idx = 5",
                                         (b"{}",)), "unreadable_entry", 5),
    "entry-removed": (lambda b, e: b.raw("DELETE FROM access_log WHERE idx = 5"),
                      "missing_entry", 5),
    "tail-removed": (lambda b, e: b.raw("DELETE FROM access_log WHERE idx >= 8"),
                     "missing_entry", 8),
    "entry-inserted": (lambda b, e: (
        b.raw("UPDATE access_log SET idx = idx + 1000 WHERE idx >= 5"),
        b.raw("UPDATE access_log SET idx = idx - 999 WHERE idx >= 1000"),
        b.raw("INSERT INTO access_log VALUES (5, 'x', 'portal', ?)",
              (canonical_bytes(_entry(99)),))), "leaf_mismatch", 5),
    "entries-reordered": (lambda b, e: (
        b.raw("UPDATE access_log SET entry = ? WHERE idx = 5", (canonical_bytes(e[6]),)),
        b.raw("UPDATE access_log SET entry = ? WHERE idx = 6", (canonical_bytes(e[5]),))),
        "leaf_mismatch", 5),
    "reordered-with-leaves": (lambda b, e: (
        b.raw("UPDATE access_log SET entry = ? WHERE idx = 5", (canonical_bytes(e[6]),)),
        b.raw("UPDATE access_log SET entry = ? WHERE idx = 6", (canonical_bytes(e[5]),)),
        b.raw("UPDATE access_nodes SET hash = ? WHERE level = 0 AND idx = 5", (entry_leaf(e[6]),)),
        b.raw("UPDATE access_nodes SET hash = ? WHERE level = 0 AND idx = 6", (entry_leaf(e[5]),))),
        "node_mismatch", 4),
    "rewritten-with-its-tree": (_rewrite_consistently, "root_mismatch", None),
    "checkpoint-note-changed": (lambda b, e: b.raw(
        "UPDATE access_checkpoints SET note = replace(note, '\n12\n', '\n11\n')"),
        "bad_signature", None),
    "checkpoint-root-changed": (lambda b, e: b.raw(
        "UPDATE access_checkpoints SET root = ?", (b"\x00" * 32,)), "bad_checkpoint", None),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_found_with_the_first_bad_entry(
        store: DurableStore, durable_backend: DurableBackend, signer: NoteSigner,
        kind: str) -> None:
    entries = _filled(store)
    sign_checkpoint(store, signer, now=1.0)
    assert verify_log(store, signer.verifier_key).intact
    tamper, code, index = TAMPERING[kind]
    _unguard(durable_backend)
    tamper(durable_backend, entries)
    problem = verify_log(store, signer.verifier_key, batch=4).problem
    assert problem is not None
    assert (problem.code, problem.index) == (code, index)


def test_a_checkpoint_by_another_key_is_refused(store: DurableStore, signer: NoteSigner) -> None:
    _filled(store)
    sign_checkpoint(store, signer, now=1.0)
    stranger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    problem = verify_log(store, stranger.verifier_key).problem
    assert problem is not None and problem.code == "bad_signature"
