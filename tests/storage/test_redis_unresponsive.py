"""A Redis that accepts connections but never answers (paused, overloaded, a half-open
network path) must fail a request after one timeout, not after the client's retries."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from eid.errors import StorageError
from eid.storage.redis import RedisStore


class Silent:
    """A TCP listener on loopback that accepts every connection and never writes."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


def test_a_silent_redis_costs_one_connection_and_one_timeout(silent: Silent) -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{silent.port}/0")
    with pytest.raises(StorageError) as err:
        store.get("anything")
    assert err.value.code == "storage_unavailable"
    # redis-py retries timeouts by default (10 times, reconnecting each time): a request
    # would wait eleven socket timeouts. A timeout is not retried here.
    assert silent.accepted == 1
