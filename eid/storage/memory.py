"""The in-memory short-lived store: the embedded default.

For development, tests and a single-process service only: state is lost on
restart and not shared between processes. The service warns when it runs on it.

Values are kept serialised with :mod:`marshal` (the interpreter's own C serialiser for
built-in types; only bytes this store wrote are ever read back): what a caller put or got
is its own copy, so mutating it never changes the stored value, for half the CPU of a
``copy.deepcopy`` on each side.
"""

from __future__ import annotations

import marshal
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from eid.storage.ephemeral import Value, check_limit, check_ttl

__all__ = ["MemoryStore"]


def _thawed(value: bytes | int | None) -> Value | None:
    # A counter (incr/reserve) under the key is not a value.
    if not isinstance(value, bytes):
        return None
    thawed = marshal.loads(value)  # noqa: S302 - bytes this store wrote itself
    return thawed if isinstance(thawed, dict) else None


class MemoryStore:
    """A thread-safe dict with expiry; ``clock`` defaults to ``time.time`` (freezegun-friendly)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, bytes | int]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.time()

    def _live(self, key: str) -> bytes | int | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] <= self._now():
            del self._data[key]
            return None
        return entry[1]

    def _sweep(self) -> None:
        # Amortised cleanup so abandoned entries cannot grow memory without bound.
        if len(self._data) % 1024 == 0:
            now = self._now()
            for key in [k for k, (exp, _) in self._data.items() if exp <= now]:
                del self._data[key]

    def put(self, key: str, value: Value, ttl: float) -> None:
        check_ttl(ttl)
        frozen = marshal.dumps(value)
        with self._lock:
            self._data[key] = (self._now() + ttl, frozen)
            self._sweep()

    def write_many(self, puts: Mapping[str, tuple[Value, float]],
                   deletes: Iterable[str] = ()) -> None:
        for _, ttl in puts.values():
            check_ttl(ttl)
        frozen = {key: (ttl, marshal.dumps(value)) for key, (value, ttl) in puts.items()}
        with self._lock:
            for key in deletes:
                self._data.pop(key, None)
            now = self._now()
            for key, (ttl, data) in frozen.items():
                self._data[key] = (now + ttl, data)
                self._sweep()

    def add(self, key: str, value: Value, ttl: float) -> bool:
        check_ttl(ttl)
        frozen = marshal.dumps(value)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (self._now() + ttl, frozen)
            self._sweep()
            return True

    def get(self, key: str) -> Value | None:
        with self._lock:
            value = self._live(key)
        return _thawed(value)

    def consume(self, key: str) -> Value | None:
        with self._lock:
            value = self._live(key)
            self._data.pop(key, None)
        return _thawed(value)

    def consume_marking(self, key: str, mark: str, value: Value, ttl: float
                        ) -> tuple[Value | None, Value | None]:
        check_ttl(ttl)
        frozen = marshal.dumps(value)
        with self._lock:
            consumed = _thawed(self._live(key))
            if consumed is None:
                return None, _thawed(self._live(mark))
            del self._data[key]
            self._data[mark] = (self._now() + ttl, frozen)
            self._sweep()
        return consumed, None

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        check_ttl(ttl)
        with self._lock:
            current = self._live(key)
            if isinstance(current, int):
                count = current + 1
                self._data[key] = (self._data[key][0], count)
            else:
                count = 1
                self._data[key] = (self._now() + ttl, count)
            return count

    def reserve(self, key: str, limit: int, ttl: float) -> int | None:
        check_limit(limit)
        check_ttl(ttl)
        with self._lock:
            current = self._live(key)
            if isinstance(current, int):
                if current >= limit:
                    return None
                self._data[key] = (self._data[key][0], current + 1)
                return current + 1
            self._data[key] = (self._now() + ttl, 1)
            self._sweep()
            return 1

    def release(self, key: str, count: int) -> None:
        check_limit(count)
        with self._lock:
            current = self._live(key)
            if not isinstance(current, int):
                return
            if current <= count:
                del self._data[key]
            else:
                self._data[key] = (self._data[key][0], current - count)

    def ttl(self, key: str) -> float | None:
        with self._lock:
            if self._live(key) is None:
                return None
            return self._data[key][0] - self._now()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
