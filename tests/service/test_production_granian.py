"""granian's access lines (service.production_granian.access_lines), in process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any

import pytest

from service.production_granian import access_lines


def _answer(status: str) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]
    return app


def _line(app: Callable[..., Iterable[bytes]], path: str, query: str = "") -> str:
    """The access line ``app`` answering ``GET path?query`` writes (to a pipe)."""
    read, write = os.pipe()
    try:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
                   "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}
        with suppress(RuntimeError):  # _broken's: the line is written all the same
            access_lines(app, write)(environ, lambda *a: None)
        os.close(write)
        write = -1
        return os.read(read, 65536).decode()
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)


def _broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    raise RuntimeError("the app failed")


@pytest.mark.parametrize(("path", "shown"), [
    ("/token", "/token"),
    # granian hands the path over decoded: encoded again, no forged line, no escape.
    ("/x\n127.0.0.1 forged\x1b[2J", "/x%0A127.0.0.1%20forged%1B[2J"),
    ("/a%b", "/a%25b"),
    ("/s\u00e9", "/s%C3%A9"),
])
def test_an_access_line_shows_the_path_encoded(path: str, shown: str) -> None:
    line = _line(_answer("200 OK"), path)
    assert f'"GET {shown} HTTP/1.1" 200 ' in line
    assert line.startswith("127.0.0.1 [") and line.endswith("ms\n") and line.count("\n") == 1


def test_an_access_line_never_shows_the_query() -> None:
    line = _line(_answer("302 Found"), "/callback", "code=SECRET&state=S")
    assert '"GET /callback HTTP/1.1" 302 ' in line
    assert "SECRET" not in line


def test_a_very_long_path_stays_one_line_under_pipe_buf() -> None:
    line = _line(_answer("404 NOT FOUND"), "/" + "\n" * 10000)
    assert line.count("\n") == 1 and len(line.encode()) < 4096


def test_an_app_that_raises_is_logged_as_500() -> None:
    assert '"GET /x HTTP/1.1" 500 ' in _line(_broken, "/x")
