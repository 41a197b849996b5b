"""Checkpoints as C2SP signed notes: the reference implementation's known answers, and
every way a note can be wrong."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eid.audit import Checkpoint, NoteSigner, open_checkpoint, open_note, parse_verifier_key
from eid.errors import AuditError

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "note_vectors.json").read_text(encoding="utf-8"))
GO = VECTORS["go"]
# The Go example's seed: base64(0x01 || seed) after "PRIVATE+KEY+<name>+<id>+".
SEED = base64.b64decode(GO["skey"].split("+", 4)[4])[1:]
ORIGIN = "id.example.gov.vn/audit"
ROOT = hashlib.sha256(b"root").digest()


def _signer(name: str = ORIGIN, seed: bytes = SEED) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def test_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = _signer("PeterNeumann")
    assert signer.verifier_key == GO["vkey"]
    assert signer.sign_text(GO["text"]) == GO["note"]


@pytest.mark.parametrize("case", ["go", "spec"])
def test_reference_notes_open(case: str) -> None:
    assert open_note(VECTORS[case]["note"], VECTORS[case]["vkey"]) == VECTORS[case]["text"]


def test_a_checkpoint_is_origin_size_and_base64_root() -> None:
    note = _signer().sign(Checkpoint(ORIGIN, 42, ROOT))
    body, _, signature = note.partition("\n\n")
    assert body.split("\n") == [ORIGIN, "42", base64.b64encode(ROOT).decode()]
    assert signature.startswith(f"\u2014 {ORIGIN} ")
    # base64(key id || 64-byte Ed25519 signature)
    assert len(base64.b64decode(signature.split()[-1])) == 4 + 64


def test_a_signed_checkpoint_opens_to_itself() -> None:
    signer = _signer()
    checkpoint = Checkpoint(ORIGIN, 7, ROOT)
    assert open_checkpoint(signer.sign(checkpoint), signer.verifier_key) == checkpoint


def test_another_keys_signature_line_is_ignored() -> None:
    signer, witness = _signer(), _signer("witness.example", bytes(32))
    note = signer.sign(Checkpoint(ORIGIN, 7, ROOT))
    cosigned = note + witness.sign_text(note.partition("\n\n")[0] + "\n").split("\n\n")[1]
    assert open_checkpoint(cosigned, signer.verifier_key).size == 7


def _note() -> str:
    return _signer().sign(Checkpoint(ORIGIN, 7, ROOT))


def _resign(text: str) -> str:
    return _signer().sign_text(text)


_B64_ROOT = base64.b64encode(ROOT).decode()
MUTATIONS: dict[str, tuple[Any, str]] = {
    "size-changed": (lambda n: n.replace("\n7\n", "\n8\n", 1), "bad_signature"),
    "root-changed": (lambda n: n.replace(_B64_ROOT, base64.b64encode(bytes(32)).decode()),
                     "bad_signature"),
    "signature-changed": (lambda n: n[:-6] + ("A" if n[-6] != "A" else "B") + n[-5:],
                          "bad_signature"),
    "origin-changed-and-resigned": (
        lambda n: _resign(f"other.example/audit\n7\n{_B64_ROOT}\n"), "invalid_checkpoint"),
    "size-not-decimal": (lambda n: _resign(f"{ORIGIN}\n07\n{_B64_ROOT}\n"),
                         "invalid_checkpoint"),
    "size-negative": (lambda n: _resign(f"{ORIGIN}\n-1\n{_B64_ROOT}\n"), "invalid_checkpoint"),
    "root-short": (lambda n: _resign(f"{ORIGIN}\n7\nAAAA\n"), "invalid_checkpoint"),
    "root-not-base64": (lambda n: _resign(f"{ORIGIN}\n7\n{'!' * 44}\n"),
                        "invalid_checkpoint"),
    "two-lines": (lambda n: _resign(f"{ORIGIN}\n7\n"), "invalid_checkpoint"),
    "no-blank-line": (lambda n: n.replace("\n\n", "\n"), "invalid_checkpoint"),
    "no-final-newline": (lambda n: n[:-1], "invalid_checkpoint"),
    "ascii-dash": (lambda n: n.replace("\u2014", "--"), "invalid_checkpoint"),
    "carriage-returns": (lambda n: n.replace("\n", "\r\n"), "invalid_checkpoint"),
    "huge": (lambda n: "x\n" * 20_000 + n, "invalid_checkpoint"),
    "signature-not-base64": (lambda n: n[:n.rindex(" ") + 1] + "%%%\n", "invalid_checkpoint"),
    "signature-short": (lambda n: n[:n.rindex(" ") + 1] + "AAAA\n", "invalid_checkpoint"),
    "unsigned": (lambda n: n.split("\n\n")[0] + "\n\n", "invalid_checkpoint"),
    "too-many-signatures": (lambda n: n + ("\u2014 x " + "A" * 92 + "\n") * 100,
                            "invalid_checkpoint"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_bad_note_is_refused(name: str) -> None:
    mutate, code = MUTATIONS[name]
    with pytest.raises(AuditError) as caught:
        open_checkpoint(mutate(_note()), _signer().verifier_key)
    assert caught.value.code == code


def test_a_note_by_another_key_is_refused() -> None:
    with pytest.raises(AuditError) as caught:
        open_checkpoint(_note(), _signer(seed=bytes(32)).verifier_key)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize("vkey", [
    "", "name+c74f20a3", "na me+c74f20a3+AAAA", "PeterNeumann+C74F20A3+" + GO["vkey"][22:],
    "PeterNeumann+00000000+" + GO["vkey"][22:],  # key id does not match
    "PeterNeumann+c74f20a3+" + base64.b64encode(b"\x02" + bytes(32)).decode(),  # not Ed25519
    "PeterNeumann+c74f20a3+AAAA",
])
def test_a_malformed_verifier_key_is_refused(vkey: str) -> None:
    with pytest.raises(AuditError) as caught:
        parse_verifier_key(vkey)
    assert caught.value.code == "invalid_verifier_key"


@pytest.mark.parametrize("text", ["", "no newline", "two\n\nparagraphs\n", "\nleading\n"])
def test_text_a_note_cannot_carry_is_not_signed(text: str) -> None:
    with pytest.raises(AuditError):
        _signer().sign_text(text)


@pytest.mark.parametrize(("origin", "size", "root"), [
    ("", 1, ROOT), ("has space", 1, ROOT), ("a+b", 1, ROOT), (ORIGIN, -1, ROOT),
    (ORIGIN, 1, b"short"),
])
def test_an_impossible_checkpoint_cannot_be_built(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(AuditError) as caught:
        Checkpoint(origin, size, root)
    assert caught.value.code == "invalid_checkpoint"


def test_a_verifier_key_whose_base64_holds_a_plus_parses() -> None:
    signer = next(s for s in (_signer(seed=bytes([i]) * 32) for i in range(256))
                  if "+" in s.verifier_key.split("+", 2)[2])
    note = signer.sign(Checkpoint(ORIGIN, 1, ROOT))
    assert open_checkpoint(note, signer.verifier_key).size == 1
