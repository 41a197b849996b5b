"""The durable-store protocol is complete: the service needs nothing a backend lacks."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import service
from eid.storage import DurableStore, PostgresDurableStore, SqliteDurableStore

_SERVICE = Path(service.__file__).parent


def _called_on_durable() -> set[str]:
    """Names of the methods the service calls on ``durable`` or ``<anything>.durable``."""
    names = set()
    for path in _SERVICE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            if (isinstance(owner, ast.Attribute) and owner.attr == "durable") or (
                    isinstance(owner, ast.Name) and owner.id == "durable"):
                names.add(node.attr)
    return names


def _protocol_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(DurableStore, inspect.isfunction)
            if not name.startswith("_")}


def test_the_scan_sees_the_service_use_the_store() -> None:
    assert {"grant", "save_consent", "instance_secret"} <= _called_on_durable()


@pytest.mark.parametrize("name", sorted(_called_on_durable()))
def test_every_method_the_service_calls_is_on_the_protocol(name: str) -> None:
    assert name in _protocol_methods()


@pytest.mark.parametrize("backend", [SqliteDurableStore, PostgresDurableStore])
@pytest.mark.parametrize("name", sorted(_protocol_methods()))
def test_every_backend_implements_the_whole_protocol(name: str, backend: type) -> None:
    ours = inspect.signature(getattr(DurableStore, name))
    theirs = inspect.signature(getattr(backend, name))
    assert list(theirs.parameters) == list(ours.parameters)
