"""Configuration is passed as arguments: no package writes the process environment.

``os.environ`` is read in one place per package (``Settings.from_env``,
``PortalSettings.from_env``, the ``EID_*`` defaults of the commands); a value
written there would configure whatever runs next in the process, unseen.
"""

from __future__ import annotations

import ast

import pytest

from tests.test_layers import modules

_WRITERS = frozenset({"setdefault", "update", "pop", "popitem", "clear", "__setitem__",
                      "__delitem__"})


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os") \
        or (isinstance(node, ast.Name) and node.id == "environ")


def environ_writes(source: str) -> list[int]:
    """Line numbers where ``source`` changes the environment."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if (func.attr in _WRITERS and _is_environ(func.value)) or (
                    func.attr in ("putenv", "unsetenv") and isinstance(func.value, ast.Name)
                    and func.value.id == "os"):
                lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("source", [
    "import os\nos.environ['EID_X'] = '1'\n",
    "import os\nos.environ.setdefault('EID_X', '1')\n",
    "import os\nos.environ.update(EID_X='1')\n",
    "import os\nos.putenv('EID_X', '1')\n",
    "import os\ndel os.environ['EID_X']\n",
    "from os import environ\nenviron['EID_X'] = '1'\n",
])
def test_the_scan_sees_a_write(source: str) -> None:
    assert environ_writes(source) == [2]


def test_reading_is_not_a_write() -> None:
    assert environ_writes("import os\nx = os.environ.get('EID_X') or os.environ['EID_Y']\n") == []


def test_no_package_writes_the_environment() -> None:
    wrong = [f"{name}:{line}" for name, path in modules().items()
             for line in environ_writes(path.read_text(encoding="utf-8"))]
    assert wrong == []
