"""service/context.py: the objects behind Flask's proxies, found once, the same objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
import pytest
from flask import Flask, g, session

from service.context import this_app, this_globals, this_request, this_session


def _app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k" * 32
    return app


@pytest.mark.parametrize(("found", "proxy"), [
    (this_app, "current_app"), (this_request, "request"), (this_globals, "g"),
    (this_session, "session")])
def test_each_is_the_object_its_proxy_stands_for(found: Callable[[], Any], proxy: str) -> None:
    with _app().test_request_context("/"):
        target: Any = getattr(flask, proxy)._get_current_object()
        assert found() is target


def test_what_is_set_through_one_is_seen_through_the_proxy() -> None:
    with _app().test_request_context("/"):
        this_globals().trace_id = "t"
        this_session()["lang"] = "en"
        assert g.trace_id == "t" and session["lang"] == "en"


@pytest.mark.parametrize("found", [this_app, this_request, this_globals, this_session])
def test_outside_a_request_each_fails_as_its_proxy_does(found: Callable[[], Any]) -> None:
    with pytest.raises(RuntimeError, match="outside of"):
        found()


def test_the_app_alone_is_found_in_an_app_context() -> None:
    app = _app()
    with app.app_context():
        assert this_app() is app and this_globals() is g._get_current_object()
        with pytest.raises(RuntimeError, match="outside of request context"):
            this_request()
