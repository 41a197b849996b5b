"""ServiceFlask: a buffered response handed over in one piece, the rest as werkzeug does;
ensure_sync without inspect; the session cookie's serializer built once per key set; a
URL-encoded form parsed as werkzeug parses it."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Request, Response, request, session, stream_with_context
from werkzeug.exceptions import RequestEntityTooLarge

from service.app_class import ServiceFlask, ServiceRequest, ServiceResponse


def _app() -> ServiceFlask:
    app = ServiceFlask(__name__)
    app.config["SECRET_KEY"] = "k" * 32

    @app.route("/json", methods=["GET", "HEAD"])
    def as_json() -> Any:
        return {"a": 1}

    @app.get("/empty")
    def empty() -> Any:
        return "", 204

    @app.get("/stream")
    def stream() -> Any:
        def parts() -> Iterator[str]:
            yield "one,"
            yield "two"
        return Response(stream_with_context(parts()))

    @app.get("/closing")
    def closing() -> Any:
        response = Response("body")
        response.call_on_close(lambda: closed.append(True))
        return response

    @app.get("/set")
    def set_value() -> Any:
        session["v"] = "x"
        return "set"

    @app.get("/get")
    def get_value() -> Any:
        return str(session.get("v"))

    closed: list[bool] = []
    app.extensions["closed"] = closed
    return app


def _call(app: ServiceFlask, path: str, method: str = "GET"
          ) -> tuple[str, Iterable[bytes]]:
    status: list[str] = []
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000",
               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr}

    def start(code: str, headers: list[tuple[str, str]], *args: Any) -> Callable[..., Any]:
        status.append(code)
        return lambda data: None

    body = app(environ, start)
    return status[0], body


def test_a_buffered_response_goes_out_as_one_bytes_in_a_list() -> None:
    status, body = _call(_app(), "/json")
    assert status == "200 OK"
    assert type(body) is list and len(body) == 1
    assert body[0].replace(b" ", b"").strip() == b'{"a":1}'


@pytest.mark.parametrize(("path", "method"), [("/json", "HEAD"), ("/empty", "GET")])
def test_an_answer_without_a_body_stays_empty(path: str, method: str) -> None:
    _, body = _call(_app(), path, method)
    assert b"".join(body) == b""
    assert type(body) is not list  # werkzeug's own path, unchanged


def test_a_streamed_response_is_still_iterated() -> None:
    _, body = _call(_app(), "/stream")
    assert type(body) is not list
    assert b"".join(body) == b"one,two"
    body.close()  # type: ignore[attr-defined]


def test_a_response_with_a_close_callback_keeps_it() -> None:
    app = _app()
    _, body = _call(app, "/closing")
    assert type(body) is not list
    assert b"".join(body) == b"body"
    assert app.extensions["closed"] == []
    body.close()  # type: ignore[attr-defined]
    assert app.extensions["closed"] == [True]


def test_responses_are_service_responses() -> None:
    app = _app()
    with app.test_request_context():
        assert isinstance(app.make_response({"a": 1}), ServiceResponse)


def test_ensure_sync_returns_plain_functions_and_wraps_coroutine_functions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app()

    def plain() -> None: ...

    async def coroutine() -> None: ...

    wrapped: list[object] = []
    monkeypatch.setattr(app, "async_to_sync", lambda f: wrapped.append(f) or "sync")
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coroutine) == "sync"
    assert wrapped == [coroutine]


def test_the_session_cookie_round_trips_and_its_serializer_is_built_once() -> None:
    app = _app()
    client = app.test_client()
    assert client.get("/get").text == "None"
    client.get("/set")
    assert client.get("/get").text == "x"
    first = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert app.session_interface.get_signing_serializer(app) is first  # type: ignore[attr-defined]


def test_a_new_key_signs_anew_and_fallbacks_still_open_old_cookies() -> None:
    app = _app()
    client = app.test_client()
    client.get("/set")
    app.config["SECRET_KEY"] = "n" * 32
    assert client.get("/get").text == "None"  # the old key no longer verifies
    app.config["SECRET_KEY_FALLBACKS"] = ["k" * 32]
    assert client.get("/get").text == "x"  # key rotation: the old one as a fallback


def test_a_tampered_cookie_is_an_empty_session() -> None:
    app = _app()
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-2] + "xx")
    assert client.get("/get").text == "None"


def test_late_headers_go_out_after_werkzeugs_own_and_only_once() -> None:
    app = ServiceFlask(__name__)

    @app.get("/late")
    def late() -> Any:
        response = ServiceResponse("x")
        response.headers["X-Own"] = "1"
        response.late_headers = [("X-Late", "a"), ("X-Late-Too", "b")]
        return response

    r = app.test_client().get("/late")
    assert r.headers.getlist("X-Late") == ["a"] and r.headers["X-Late-Too"] == "b"
    assert r.headers["X-Own"] == "1" and r.headers["Content-Length"] == "1"
    # The list is the WSGI list werkzeug built, then the late ones: the own headers first.
    assert [k for k, _ in r.headers][-2:] == ["X-Late", "X-Late-Too"]


# --- the URL-encoded form ---------------------------------------------------------------

_FORM = "application/x-www-form-urlencoded"


def _form_environ(body: bytes, content_type: str = _FORM, *,
                  length: int | None = None) -> dict[str, Any]:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/token", "QUERY_STRING": "a=query",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(body), "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body) if length is None else length)}
    return environ


def _parsed(request_class: type[Request], environ: dict[str, Any]
            ) -> tuple[list[tuple[str, str]], list[tuple[str, Any]], bytes]:
    request = request_class(dict(environ, **{"wsgi.input": io.BytesIO(
        environ["wsgi.input"].getvalue())}))
    return list(request.form.items(multi=True)), list(request.files.items(multi=True)), \
        request.stream.read()


@pytest.mark.parametrize("body", [
    b"grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb",
    b"a=1&a=2&b=",  # repeats and blanks kept, for service.params to refuse or ignore
    b"a&=x&b=%20+c",  # a name alone, an empty name, both spellings of a space
    "t\u00ean=Nguy%E1%BB%85n+V%C4%83n+H%C3%B9ng".encode(),  # UTF-8 raw and escaped
    b"a=%zz&b=%E1%BB",  # bad and cut escapes stay as they are
    b"a=\xff\xfe",  # not UTF-8: werkzeug's parser is silent, an empty form
    b"a=1;b=2",  # ";" is no separator (Python 3.10+, werkzeug 2.3+)
    b"",
])
@pytest.mark.parametrize("content_type", [_FORM, _FORM + "; charset=utf-8"])
def test_a_urlencoded_form_is_what_werkzeug_parses(body: bytes, content_type: str) -> None:
    environ = _form_environ(body, content_type)
    with _app().app_context():
        assert _parsed(ServiceRequest, environ) == _parsed(Request, environ)


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "text/plain",
                                          "application/json"])
def test_other_bodies_go_werkzeugs_way(content_type: str) -> None:
    environ = _form_environ(b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'
                            b"\r\n--x--\r\n", content_type)
    with _app().app_context():
        assert _parsed(ServiceRequest, environ) == _parsed(Request, environ)


def test_a_form_longer_than_the_limit_is_refused_before_it_is_read() -> None:
    app = _app()
    app.config["MAX_CONTENT_LENGTH"] = 10
    with app.app_context():
        request = ServiceRequest(_form_environ(b"a=" + b"x" * 20))
        with pytest.raises(RequestEntityTooLarge):
            request.form  # noqa: B018 - the parse is what is tested
        declared_short = ServiceRequest(_form_environ(b"a=" + b"x" * 20, length=5))
        assert list(declared_short.form.items(multi=True)) == [("a", "xxx")]  # cut there


def test_the_form_is_read_once_and_a_read_body_is_parsed_from_its_copy() -> None:
    with _app().app_context():
        request = ServiceRequest(_form_environ(b"a=1"))
        assert request.get_data() == b"a=1"
        assert request.form["a"] == "1" and request.form is request.form



def test_each_request_takes_the_body_limit_the_config_has_then() -> None:
    app = _app()

    @app.post("/form")
    def form() -> Any:
        return {"limit": request.max_content_length, "a": request.form.get("a")}

    client = app.test_client()
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/form", data={"a": "x" * 20}).status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 100
    answer = client.post("/form", data={"a": "x" * 20})
    assert answer.status_code == 200 and answer.json == {"limit": 100, "a": "x" * 20}
