"""The one launcher (service.serving): bound first, then mounted, served, closed."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from eid.errors import ConfigurationError
from service.serving import Server, serve


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["HTTP_HOST"].encode()]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return bytes(resp.read())


def test_port_0_is_bound_before_the_app_so_the_app_can_know_its_url() -> None:
    with Server() as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        server.mount(hello).start()
        assert get(server.url + "/") == f"127.0.0.1:{server.port}".encode()


def test_nothing_is_served_before_an_app_is_mounted() -> None:
    with Server() as server, pytest.raises(RuntimeError):
        server.start()


def test_close_releases_the_address() -> None:
    server = Server().mount(hello).start()
    port = server.port
    server.close()
    with pytest.raises(OSError):
        get(f"http://127.0.0.1:{port}/")
    with Server(port=port) as again:  # the same port can be bound again
        assert again.port == port


def test_an_address_in_use_is_a_configuration_error_not_an_exit() -> None:
    # werkzeug alone would print and sys.exit(1) from inside a test or a command.
    with Server() as server, pytest.raises(ConfigurationError) as err:
        Server(port=server.port)
    assert err.value.code == "cannot_listen"


def test_an_address_not_on_this_machine_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as err:
        Server("192.0.2.1")  # TEST-NET-1 (RFC 5737): never an address of this machine
    assert err.value.code == "cannot_listen"


def test_an_ipv6_url_has_brackets() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = Server("::1")
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    with server:
        assert server.url == f"http://[::1]:{server.port}"


def test_serve_returns_and_closes_when_a_server_stops() -> None:
    first, second = Server().mount(hello), Server().mount(hello)
    done = threading.Event()

    def foreground() -> None:
        serve(first, second)
        done.set()

    runner = threading.Thread(target=foreground, daemon=True)
    runner.start()
    for _ in range(100):  # both serving: the foreground is waiting on them
        try:
            get(first.url + "/"), get(second.url + "/")
            break
        except OSError:
            done.wait(0.05)
    first.close()  # what Ctrl-C's handler does: serve() wakes up and closes everything
    second.close()
    runner.join(timeout=10)
    assert done.is_set()
    with pytest.raises(OSError):
        get(second.url + "/")
