"""The short-lived state protocol (modelled on node-oidc-provider's adapters).

Values are JSON objects. Every entry has a time to live; a store never keeps
short-lived state forever. ``consume``, ``consume_marking`` and ``add`` are atomic,
which is what single-use authorization codes (RFC 6749 §4.1.2) and reuse detection need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from eid.errors import ConfigurationError

__all__ = ["EphemeralStore", "check_limit", "check_ttl"]

Value = dict[str, Any]


class EphemeralStore(Protocol):
    """Short-lived key-value state with per-entry expiry."""

    def put(self, key: str, value: Value, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any entry."""
        ...

    def add(self, key: str, value: Value, ttl: float) -> bool:
        """Store only if ``key`` is absent; ``True`` when stored (atomic)."""
        ...

    def write_many(self, puts: Mapping[str, tuple[Value, float]],
                   deletes: Iterable[str] = ()) -> None:
        """Remove every key of ``deletes``, then store each ``key: (value, ttl)`` of
        ``puts``, each as :meth:`delete` and :meth:`put` would, in one round trip.

        Not atomic as a whole (a Redis Cluster spreads the keys over nodes): a failure
        may leave part done, so callers batch only writes each of which stands alone.
        Every ``ttl`` is checked before anything is written.

        :raises ConfigurationError: ``invalid_ttl`` (nothing written).
        """
        ...

    def get(self, key: str) -> Value | None:
        """The live value, or ``None``."""
        ...

    def consume(self, key: str) -> Value | None:
        """Return and delete the live value in one atomic step, or ``None``."""
        ...

    def consume_marking(self, key: str, mark: str, value: Value, ttl: float
                        ) -> tuple[Value | None, Value | None]:
        """Consume ``key`` and, when it was live, store ``value`` under ``mark`` for
        ``ttl`` seconds; in one atomic step and one round trip.

        What a single-use code needs (RFC 6749 §4.1.2): whoever comes second finds the
        mark, never a moment with neither the code nor its mark.
        ``key`` and ``mark`` must share a hash tag (:func:`eid.storage.keys.tagged`):
        a Redis Cluster refuses a step on two slots.

        :returns: ``(the consumed value, None)``, or, when ``key`` was not live,
            ``(None, the live value under mark or None)`` and nothing changed.
        :raises ConfigurationError: ``invalid_ttl`` (nothing consumed).
        """
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when absent)."""
        ...

    def incr(self, key: str, ttl: float) -> int:
        """Add one to a counter and return it; a new counter lives ``ttl`` seconds."""
        ...

    def reserve(self, key: str, limit: int, ttl: float) -> int | None:
        """Take one of ``limit`` slots of the window ``key`` in one atomic step.

        The window opens with its first slot and ends ``ttl`` seconds later; later
        reservations never extend it. This is what bounds login attempts under
        concurrency (NIST SP 800-63B §5.2.2): reserve first, then check.

        :returns: the slot's number (1 to ``limit``), or ``None`` when every slot is taken
            (a refused reservation changes nothing).
        :raises ConfigurationError: ``invalid_limit`` or ``invalid_ttl``.
        """
        ...

    def release(self, key: str, count: int) -> None:
        """Give back ``count`` slots of the window ``key`` in one atomic step.

        The window keeps its end; once no slot is taken it ends (never below zero).
        No error when ``key`` is absent.

        :raises ConfigurationError: ``invalid_limit`` unless ``count`` is a positive integer.
        """
        ...

    def ttl(self, key: str) -> float | None:
        """Seconds left for ``key``, or ``None`` when it is absent."""
        ...

    def clear(self) -> None:
        """Remove every entry of this store (tests and the mock's reset)."""
        ...


def check_ttl(ttl: float) -> None:
    """:raises ConfigurationError: ``invalid_ttl`` unless ``ttl`` is a positive number."""
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 < ttl < 10**9:
        raise ConfigurationError(f"ttl must be a positive number of seconds, not {ttl!r}",
                                 code="invalid_ttl")


def check_limit(limit: int) -> None:
    """:raises ConfigurationError: ``invalid_limit`` unless ``limit`` is a positive integer."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit < 2**31:
        raise ConfigurationError(f"limit must be a positive integer, not {limit!r}",
                                 code="invalid_limit")
