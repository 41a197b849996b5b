"""pyproject.toml lists the packages by hand (fixtures/ is mapped to eid.fixtures, which
setuptools' find cannot express): the list must stay equal to the packages on disk."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = ("eid", "flask_eid", "service")  # bench/, tests/, examples/, tools/ are not


def _setuptools() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    return config


def test_every_package_on_disk_is_listed_and_nothing_else() -> None:
    config = _setuptools()
    on_disk = {".".join(init.parent.relative_to(ROOT).parts)
               for top in INSTALLED for init in (ROOT / top).rglob("__init__.py")}
    assert sorted(set(config["packages"]) - set(config["package-dir"])) == sorted(on_disk)


def test_fixtures_at_the_top_install_as_eid_fixtures() -> None:
    config = _setuptools()
    assert config["package-dir"] == {"eid.fixtures": "fixtures"}
    assert "eid.fixtures" in config["packages"]
    assert (ROOT / "fixtures" / "__init__.py").is_file()
    assert not (ROOT / "eid" / "fixtures").exists()  # one copy of each file
