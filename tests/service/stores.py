"""Stores that cannot be reached, to put in a running app's provider."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NoReturn

from flask import Flask

from eid.errors import StorageError

#: What a Redis client's error may say: a URL with its password. Never shown to anyone.
SECRET_IN_MESSAGE = "redis://:hunter2-secret@10.0.0.7:6379/0"


class Unreachable:
    """Every method raises what a store whose backend is down raises."""

    def __init__(self, code: str = "storage_unavailable") -> None:
        self.code = code

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.fail

    def fail(self, *args: object, **kwargs: object) -> NoReturn:
        raise StorageError(f"Redis failed: Error 111 connecting to {SECRET_IN_MESSAGE}",
                           code=self.code)


def break_store(app: Flask, store: str, code: str = "storage_unavailable") -> Unreachable:
    """Replace the app's ``store`` (``ephemeral``, ``durable``, ``registry``) by one that
    fails with ``code``; returns it."""
    broken = Unreachable(code)
    app.extensions["eid"] = replace(app.extensions["eid"], **{store: broken})
    return broken
