"""Checkpoints as C2SP signed notes (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note).

A checkpoint's body is three lines, each ending in a newline: the log's origin (a
schema-less URL such as ``id.example.gov.vn/audit``), the tree size in decimal, the
root hash in standard base64. The note is the body, a blank line, and one line per
signature: ``— <key name> <base64(key id || signature)>``, where the key id is
``SHA-256(key name || 0x0A || 0x01 || public key)[:4]`` and the signature is Ed25519
(signature type 0x01) over the body, final newline included.

Why Ed25519 and not the service's ES256 token keys: signed-note defines Ed25519 as
its signature type 0x01 and it is what the deployed verifiers check (Go's
``golang.org/x/mod/sumdb/note``, the C2SP witnesses, ``litetlog``); ECDSA in notes is
a per-log extension few of them accept. The public key is published as a verifier
key ``<name>+<hex key id>+<base64(0x01 || public key)>`` (the format those tools read).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from eid.audit.merkle import HASH_SIZE
from eid.errors import AuditError

__all__ = ["Checkpoint", "NoteSigner", "open_checkpoint", "open_note", "parse_verifier_key"]

_ED25519: Final = b"\x01"  # signed-note signature type
_DASH: Final = "\u2014 "  # EM DASH, SPACE: every signature line starts so
_MAX_NOTE: Final = 16_384  # a checkpoint is ~150 bytes; anything far larger is hostile
_MAX_SIGNATURES: Final = 100  # signed-note: a verifier may refuse more
# signed-note: a key name is non-empty UTF-8 without Unicode spaces or "+".
_NAME: Final = re.compile(r"[^\s+]+")
_SIZE: Final = re.compile(r"0|[1-9][0-9]{0,18}")


def _bad(message: str, code: str = "invalid_checkpoint") -> AuditError:
    return AuditError(message, code=code)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _bad("not base64") from exc
    if _b64(data) != text:  # one spelling per value: no trailing bits, padding as base64 puts it
        raise _bad("not canonical base64")
    return data


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public).digest()[:4]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What a checkpoint asserts: the log ``origin`` had ``size`` entries with ``root``."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.origin):
            raise _bad("the origin must be non-empty, without spaces or '+'")
        if type(self.size) is not int or not 0 <= self.size < 2**63:
            raise _bad("the tree size must be a non-negative integer")
        if len(self.root) != HASH_SIZE:
            raise _bad("the root must be a SHA-256 hash")

    def body(self) -> str:
        """The signed text (tlog-checkpoint: origin, size, base64 root, each a line)."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"


class NoteSigner:
    """Signs checkpoints with one Ed25519 key named ``name`` (usually the origin)."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        if not _NAME.fullmatch(name):
            raise _bad("a key name must be non-empty, without spaces or '+'")
        self.name = name
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = _key_id(name, self._public)

    @property
    def verifier_key(self) -> str:
        """``<name>+<hex key id>+<base64(0x01 || public key)>``: what verifiers are given."""
        return f"{self.name}+{self.key_id.hex()}+{_b64(_ED25519 + self._public)}"

    def sign_text(self, text: str) -> str:
        """The signed note of ``text`` (non-empty, ending in a newline, no blank line)."""
        if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
            raise _bad("a note's text is lines, each ending in a newline")
        signature = self._key.sign(text.encode("utf-8"))
        return f"{text}\n{_DASH}{self.name} {_b64(self.key_id + signature)}\n"

    def sign(self, checkpoint: Checkpoint) -> str:
        """The signed note of ``checkpoint``."""
        return self.sign_text(checkpoint.body())


def parse_verifier_key(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """The key name, key id and public key of a verifier key.

    :raises AuditError: ``invalid_verifier_key`` when it is malformed, not Ed25519, or its
        key id does not match its name and key.
    """
    parts = vkey.split("+", 2)  # the base64 key may hold "+" itself
    if len(parts) != 3 or not _NAME.fullmatch(parts[0]) or not re.fullmatch(
            r"[0-9a-f]{8}", parts[1]):
        raise _bad("not a verifier key", "invalid_verifier_key")
    try:
        raw = _unb64(parts[2])
    except AuditError as exc:
        raise _bad("not a verifier key", "invalid_verifier_key") from exc
    if len(raw) != 33 or raw[:1] != _ED25519:
        raise _bad("not an Ed25519 verifier key", "invalid_verifier_key")
    if _key_id(parts[0], raw[1:]) != bytes.fromhex(parts[1]):
        raise _bad("the key id does not match the key", "invalid_verifier_key")
    return parts[0], bytes.fromhex(parts[1]), Ed25519PublicKey.from_public_bytes(raw[1:])


def _parse_body(body: str, origin: str) -> Checkpoint:
    lines = body.split("\n")[:-1]  # the body ends with a newline (checked by the caller)
    if len(lines) < 3:
        raise _bad("a checkpoint has an origin, a size and a root")
    # Further lines are extensions (tlog-checkpoint): signed, so kept honest, but this
    # service writes none and gives them no meaning.
    if lines[0] != origin:
        raise _bad(f"the checkpoint is for {lines[0]!r}, not {origin!r}")
    if not _SIZE.fullmatch(lines[1]):
        raise _bad("the tree size is not a decimal number")
    root = _unb64(lines[2])
    return Checkpoint(origin, int(lines[1]), root)


def open_note(note: str, vkey: str) -> str:
    """Verify ``note`` with the verifier key ``vkey``; its text (the signed part).

    The signature line of ``vkey``'s name and key id must verify; lines of other keys
    (witness cosignatures, say) are ignored, as signed-note asks.

    :raises AuditError: ``invalid_verifier_key``; ``invalid_checkpoint`` for a malformed
        note; ``bad_signature`` when no signature of the key verifies.
    """
    name, key_id, public = parse_verifier_key(vkey)
    if len(note) > _MAX_NOTE or "\r" in note:
        raise _bad("not a checkpoint note")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise _bad("a note is text, a blank line, then signature lines")
    body, signatures = note[:split + 1], note[split + 2:-1].split("\n")
    if len(signatures) > _MAX_SIGNATURES:
        raise _bad("too many signatures")
    found = False
    for line in signatures:
        if not line.startswith(_DASH):
            raise _bad("a signature line starts with an em dash")
        signer, _, blob = line[len(_DASH):].partition(" ")
        if not _NAME.fullmatch(signer) or " " in blob:
            raise _bad("malformed signature line")
        raw = _unb64(blob)
        if len(raw) < 5:
            raise _bad("malformed signature line")
        if signer != name or raw[:4] != key_id:
            continue
        try:
            public.verify(raw[4:], body.encode("utf-8"))
        except InvalidSignature as exc:
            # signed-note: a known key's failing signature rejects the note.
            raise _bad("the signature does not verify", "bad_signature") from exc
        found = True
    if not found:
        raise _bad(f"no signature by {name}", "bad_signature")
    return body


def open_checkpoint(note: str, vkey: str, *, origin: str | None = None) -> Checkpoint:
    """Verify ``note`` with ``vkey`` (:func:`open_note`) and read its checkpoint.

    :param origin: the log the checkpoint must be of (default: the key's name).
    :raises AuditError: as :func:`open_note`; ``invalid_checkpoint`` for a body that is
        no checkpoint of ``origin``.
    """
    body = open_note(note, vkey)
    return _parse_body(body, parse_verifier_key(vkey)[0] if origin is None else origin)
