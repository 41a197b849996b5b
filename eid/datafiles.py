"""Where the data files shipped inside the packages are, and reading them.

Every loader finds its default file here, through :mod:`importlib.resources`,
so a checkout (editable install) and an installed wheel read the same files
the same way. The repository keeps the shared data at its top, in
``fixtures/``; the build maps that folder into the package ``eid.fixtures``
(``package-dir`` in ``pyproject.toml``). Data that belongs to one package sits
inside it (``eid/population/data``, ``service/templates``, ...).

Reading is one function too: a file that is absent or unreadable is a
:class:`~eid.errors.DataFileMissing`, never confused with a malformed one.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from eid.errors import DataError, DataFileMissing

__all__ = ["FIXTURES", "data_path", "fixture_path", "read_json", "read_text"]

FIXTURES = "eid.fixtures"  # the top-level fixtures/ folder, as the build installs it


def data_path(package: str, *parts: str) -> Path:
    """The file or folder ``parts`` shipped inside ``package`` (not checked to exist).

    :raises DataFileMissing: ``package`` is not installed, or not as files on disk
        (a zipped install: Flask's templates need real files too).
    """
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise DataFileMissing(f"the package {package} is not installed",
                              source=package) from exc
    if not isinstance(root, Path):
        raise DataFileMissing(f"the package {package} is not installed as files on disk",
                              source=package)
    return root.joinpath(*parts)


def fixture_path(*parts: str) -> Path:
    """A shipped fixture file: ``fixture_path("forms", "ct01.json")`` (``fixtures/`` in a checkout).

    :raises DataFileMissing: the data package is not installed.
    """
    return data_path(FIXTURES, *parts)


def read_text(path: str | os.PathLike[str]) -> str:
    """The UTF-8 text of a data file.

    :raises DataFileMissing: the file is absent or unreadable (a folder, no permission).
    :raises DataError: ``bad_encoding``, the file is not UTF-8.
    """
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileMissing(f"cannot read: {exc.strerror or exc}", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8: {exc}", source=str(path), code="bad_encoding") from exc


def read_json(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a data file (any JSON value: the caller checks the shape).

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: ``bad_encoding`` or ``bad_json``.
    """
    text = read_text(path)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DataError(f"not JSON: {exc}", source=str(path), code="bad_json") from exc
