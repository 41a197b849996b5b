"""The layers hold: imports point one way, with no circle, not even a lazy one.

A small AST scan of ``eid``, ``flask_eid`` and ``service`` that counts every
import wherever it stands (module level, inside a function, under
``TYPE_CHECKING``) and ``importlib.import_module`` / ``__import__`` with a
literal name. A circle that a lazy import hides still fails here, because the
modules still need each other (STYLE.md 12-16).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("eid", "flask_eid", "service")
# What each layer must never import (ARCHITECTURE.md, "Directions of dependency").
FORBIDDEN = {
    "eid": ("service", "flask_eid", "flask", "werkzeug"),
    "flask_eid": ("service",),
}
_IMPORTERS = frozenset({"import_module", "__import__"})
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+").fullmatch


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(source: str, importer: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module name ``source`` (module ``importer``) imports, wherever the import stands."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, importer, is_package)
            yield target
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one.
            yield from (f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in _IMPORTERS and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                yield first.value


def imports_of(path: Path) -> frozenset[str]:
    return frozenset(imported_names(path.read_text(encoding="utf-8"), module_name(path),
                                    is_package=path.name == "__init__.py"))


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module → the project modules it imports (outside modules left out)."""
    known = modules()
    return {name: frozenset(t for t in imports_of(path) if t in known and t != name)
            for name, path in known.items()}


def import_cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def test_the_scan_sees_every_package() -> None:
    names = modules()
    for expected in ("eid.cli", "eid.prefill.loader", "flask_eid.views", "service.app"):
        assert expected in names


def test_the_scan_finds_a_lazy_cycle() -> None:
    # The shape the layers test exists for: a circle closed by an import inside a function.
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}),
             "d": frozenset({"a"})}
    assert import_cycles(edges) == [["a", "b", "c"]]


def test_imports_inside_functions_under_type_checking_and_by_name_are_seen() -> None:
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from flask import Flask\n"
              "def f():\n    from .loader import load_forms\n"
              "def g():\n    import importlib\n    importlib.import_module('service.cli')\n")
    names = set(imported_names(source, "eid.prefill.engine"))
    assert {"flask", "eid.prefill.loader", "service.cli"} <= names


def test_no_import_cycles() -> None:
    assert import_cycles(graph()) == []


def module_strings(source: str) -> Iterator[str]:
    """String literals that are dotted module names (``"service.cli"``): imports by name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _DOTTED(node.value):
            yield node.value


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(layer: str) -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items() if name.split(".")[0] == layer
        for target in imports_of(path) | set(module_strings(path.read_text(encoding="utf-8")))
        if target.split(".")[0] in FORBIDDEN[layer]
    )
    assert wrong == []


def test_a_module_named_in_a_string_counts() -> None:
    source = '_COMMANDS = ("eid.demo", "service.cli")\nHELP = "see service.cli for more"\n'
    assert list(module_strings(source)) == ["eid.demo", "service.cli"]
