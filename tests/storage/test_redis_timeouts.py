"""A Redis that drops every connection (restarting, failing over) or never answers (hung)
costs a bounded number of tries, then ``storage_unavailable``: a dropped connection is
retried once, a timeout not at all.

redis-py's default retries a dropped connection ten times, up to 1 s apart. The count of
connections the server accepts is what is checked, not a duration.
"""

from __future__ import annotations

import socket
import threading

import pytest

from eid.errors import StorageError
from eid.storage import ephemeral_store_from_url


class FakeServer:
    """Accepts every connection on loopback; never answers, or (``drop``) closes it at once."""

    def __init__(self, *, drop: bool) -> None:
        self.drop = drop
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.drop:
                conn.close()
            else:
                self._open.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self._open:
            conn.close()


@pytest.mark.parametrize(("url", "drop", "tries"), [
    ("redis://127.0.0.1:{port}/0", True, 2),
    ("redis://127.0.0.1:{port}/0", False, 1),
    # A Sentinel query is not retried; the master's connection is, asking again.
    ("redis+sentinel://127.0.0.1:{port}/eid", True, 2),
    ("redis+sentinel://127.0.0.1:{port}/eid", False, 2),
    ("redis+cluster://127.0.0.1:{port}", True, 1),  # finding the slots asks each node once
    ("redis+cluster://127.0.0.1:{port}", False, 1),
])
def test_a_failing_server_is_tried_a_bounded_number_of_times(url: str, drop: bool,
                                                             tries: int) -> None:
    server = FakeServer(drop=drop)
    try:
        store = ephemeral_store_from_url(url.format(port=server.port))
        with pytest.raises(StorageError) as err:
            store.get("{t}:k")
        assert err.value.code == "storage_unavailable"
        assert server.accepted == tries
    finally:
        server.close()
