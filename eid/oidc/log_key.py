"""The data-access log's checkpoint key: beside the token signing keys, in the durable store.

The key is Ed25519 because checkpoints are C2SP signed notes, whose verifiers
(Go's ``sumdb/note``, the C2SP witnesses) check signature type 0x01, Ed25519, and
not the ES256/RS256 of the token keys (:mod:`eid.audit.note`).

It is the log's identity, not a rotating token key: auditors pin its verifier key
(``<origin>+<key id>+<key>``) and check every later checkpoint with it, so it is
created once (32 random bytes kept as the instance secret ``audit-log-ed25519``, in
the same durable store as the token keys: it survives restarts, every worker and
instance on the store signs with the same key, and of two first starts only one
creates it) and never rotated by the service. Replacing it starts a new log
identity, an operator's decision announced with the new verifier key.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eid.audit import NoteSigner
from eid.storage.durable import DurableStore

__all__ = ["LOG_KEY_SECRET", "log_origin", "log_signer"]

#: The instance secret holding the Ed25519 seed.
LOG_KEY_SECRET: Final = "audit-log-ed25519"  # noqa: S105 (a name, not a secret)


def log_origin(issuer: str) -> str:
    """The log's origin (tlog-checkpoint: a schema-less URL) for ``issuer``:
    ``https://id.example.gov.vn`` has ``id.example.gov.vn/audit``."""
    parts = urlsplit(issuer)
    return f"{parts.netloc}{parts.path.rstrip('/')}/audit"


def log_signer(durable: DurableStore, origin: str) -> NoteSigner:
    """The checkpoint signer of the log kept in ``durable``, its key named ``origin``.

    :raises StorageError: ``storage_unavailable``.
    """
    seed = durable.instance_secret(LOG_KEY_SECRET, 32)
    return NoteSigner(origin, Ed25519PrivateKey.from_private_bytes(seed))
