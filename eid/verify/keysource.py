"""Key sources: where the trusted keys come from.

:class:`KeySource` is the small protocol the verifiers use; a
:class:`~eid.verify.keys.KeySet` built from a dict needs no source at all.
The remote implementation lives in :mod:`eid.verify.remote`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from eid.verify.keys import KeySet

__all__ = ["KeySource"]


@runtime_checkable
class KeySource(Protocol):
    """Supplies the current key set, and a fresh one when a ``kid`` is unknown."""

    def key_set(self) -> KeySet:
        """The current key set (fetched and cached as the source sees fit).

        :raises KeySourceError: when no key set can be had.
        """
        ...

    def refresh(self) -> KeySet | None:
        """Fetch anew after a token named an unknown key.

        Returns ``None`` when a refetch is not allowed now (rate limit) or
        failed; the caller then rejects the token with its original error.
        """
        ...
