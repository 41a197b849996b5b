"""The wheel, installed into a fresh virtualenv outside the checkout, does what the README
promises: the data files are inside, and the examples run there, not only in a checkout.

Built once per session from a copy of the sources, installed with the ``service`` extra
and pytest, and alone (pip's cache keeps that quick). Every command runs with a folder outside the
checkout as its working directory, without PYTHONPATH and without the checkout's
editable install (a venv that does not see the system's site-packages).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eid.testing import TOKEN_FAULTS
from tests.servers import free_port, wait_until_serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
HUNG = "074078000101"  # fixtures/README.md: Nguyễn Văn Hùng, level 2
PORTAL_CALLBACK = "https://portal.example.gov.vn/auth/callback"  # the README's portal
# Files in the package folders that are documentation, not read at run time.
DOCS = {".md"}


@dataclass(frozen=True)
class Installed:
    venv: Path
    work: Path  # outside the checkout: the working directory of every command
    env: dict[str, str]

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *args: str, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own venv's programs, fixed arguments
            args, cwd=cwd or self.work, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False)


def _source_folders() -> dict[str, str]:
    """Folder in the checkout -> where its files land in the wheel."""
    config: dict[str, Any] = tomllib.loads(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapped: dict[str, str] = config["package-dir"]
    folders = {top: top for top in {name.split(".")[0] for name in config["packages"]}}
    folders.update({folder: package.replace(".", "/") for package, folder in mapped.items()})
    return folders


def _clean_env(venv: Path) -> dict[str, str]:
    # Nothing that would let the checkout in (PYTHONPATH), configure the service behind
    # the test's back (EID_*) or change how pytest runs (PYTEST_ADDOPTS).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "EID_", "PYTEST_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _check(proc: subprocess.CompletedProcess[str], what: str) -> str:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once per session."""
    base = tmp_path_factory.mktemp("build")
    # Build from a copy: an in-tree build would write build/ into the checkout, and a
    # stale build/lib there can carry deleted files into the wheel.
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in _source_folders():
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = base / "dist"
    _check(subprocess.run(  # noqa: S603 - this interpreter's pip, fixed arguments
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True, text=True, timeout=300, check=False), "pip wheel")
    (built,) = dist.glob("eid-*.whl")
    return built


def _install(base: Path, *requirements: str) -> Installed:
    venv = base / "venv"
    _check(subprocess.run(  # noqa: S603 - the standard library's venv, fixed arguments
        [sys.executable, "-m", "venv", str(venv)],
        capture_output=True, text=True, timeout=120, check=False), "venv")
    work = base / "work"
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT), "--basetemp must be outside the checkout"
    box = Installed(venv, work, _clean_env(venv))
    # The wheel by path, never by name: a package called eid on an index must not win.
    _check(box.run(box.bin("python"), "-m", "pip", "install", "-q", *requirements,
                   timeout=600), "pip install")
    return box


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installed:
    """The wheel with the service extra, and pytest for the README's tester example."""
    return _install(tmp_path_factory.mktemp("service"), f"{wheel}[service]", "pytest")


@pytest.fixture(scope="session")
def bare(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installed:
    """``pip install eid``: the library alone."""
    return _install(tmp_path_factory.mktemp("bare"), str(wheel))


def test_the_wheel_holds_every_file_of_the_packages(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"{target}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, target in _source_folders().items()
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in DOCS
    }
    assert {"eid/fixtures/scopes.json", "eid/fixtures/forms/ct01.json",
            "eid/fixtures/keys/test-signing-keys.json", "service/templates/login.html",
            "service/static/eid.css", "service/translations/vi.json",
            "service/portal/translations.json"} <= expected  # the walk found the data
    assert sorted(expected - names) == []
    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == {"eid", "flask_eid", "service"}  # no bench/, no top-level fixtures/


def test_the_library_alone_needs_no_extra(bare: Installed) -> None:
    # Every module of eid imports with only the runtime dependencies, except those
    # that need what they are for: pytest loads its plugin, eid[redis] brings redis,
    # eid[postgres] psycopg (for the PostgreSQL store, registry and loader).
    probe = ("import importlib, importlib.util, json, pkgutil, eid\n"
             "skip = ('eid.__main__', 'eid.testing.plugin', 'eid.storage.redis',"
             " 'eid.storage.postgres_pool', 'eid.storage.postgres_durable',"
             " 'eid.storage.postgres_access_log',"
             " 'eid.population.postgres', 'eid.population.postgres_schema',"
             " 'eid.population.postgres_load')\n"
             "names = [m.name for m in pkgutil.walk_packages(eid.__path__, 'eid.')]\n"
             "for name in names:\n"
             "    if name not in skip:\n"
             "        importlib.import_module(name)\n"
             "print(json.dumps({'modules': len(names), 'extras': [n for n in"
             " ('flask', 'redis', 'psycopg', 'jwt', 'pytest') if importlib.util.find_spec(n)]}))")
    seen = json.loads(_check(bare.run(bare.bin("python"), "-c", probe), "bare import"))
    assert seen["modules"] > 50 and seen["extras"] == []
    out = _check(bare.run(bare.bin("eid"), "citizens", "show", HUNG), "bare eid citizens show")
    assert "Nguyễn Văn Hùng" in out


def test_a_database_url_without_the_postgres_extra_says_what_to_install(bare: Installed) -> None:
    proc = bare.run(bare.bin("eid"), "citizens", "show", HUNG,
                    "--database-url", "postgresql://eid@127.0.0.1:1/eid")
    assert proc.returncode == 2, proc.stderr  # a configuration error, never a traceback
    assert "eid[postgres]" in proc.stderr and "Traceback" not in proc.stderr


def test_eid_is_imported_from_the_venv_not_the_checkout(installed: Installed) -> None:
    probe = ("import importlib.util, json, sys, sysconfig, eid, flask_eid, service\n"
             "print(json.dumps({'files': [eid.__file__, flask_eid.__file__, service.__file__],"
             " 'site': sysconfig.get_paths()['purelib'], 'path': sys.path,"
             " 'stray': [n for n in ('bench', 'fixtures') if importlib.util.find_spec(n)]}))")
    seen = json.loads(_check(installed.run(installed.bin("python"), "-c", probe), "probe"))
    site = Path(seen["site"]).resolve()
    assert site.is_relative_to(installed.venv.resolve())
    for file in seen["files"]:
        assert Path(file).resolve().is_relative_to(site), file
    assert [p for p in seen["path"] if p and Path(p).resolve().is_relative_to(ROOT)] == []
    assert seen["stray"] == []


@pytest.fixture(scope="module")
def mock_url(installed: Installed) -> Iterator[str]:
    """``eid mock`` through the venv's console script, on a loopback port."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our own venv's eid, fixed arguments
        [installed.bin("eid"), "mock", "--host", "127.0.0.1", "--port", str(port),
         "--redirect-uri", PORTAL_CALLBACK],
        cwd=installed.work, env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/.well-known/openid-configuration", proc, "eid mock")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def minted(installed: Installed) -> dict[str, object]:
    out = _check(installed.run(installed.bin("eid"), "token", "mint", "--persona", HUNG,
                               "--aud", "my-portal", "--nonce", "n-1", "--json"), "eid token mint")
    doc: dict[str, object] = json.loads(out)
    return doc


def test_eid_token_mint(minted: dict[str, object]) -> None:
    assert set(minted) == {"id_token", "jwks", "issuer"}
    assert str(minted["id_token"]).count(".") == 2


def test_eid_citizens_show(installed: Installed) -> None:
    out = _check(installed.run(installed.bin("eid"), "citizens", "show", HUNG),
                 "eid citizens show")
    assert "Nguyễn Văn Hùng" in out and "1978-03-15" in out


@pytest.mark.parametrize("step", ["verify", "login_and_prefill", "flask_eid"])
def test_the_readme_portal_developer_examples(step: str, installed: Installed, mock_url: str,
                                              minted: dict[str, object]) -> None:
    script = installed.work / "portal_examples.py"
    shutil.copy(SCRIPTS / "portal_examples.py", script)  # run from outside the checkout
    out = _check(installed.run(installed.bin("python"), str(script), step, mock_url,
                               json.dumps(minted)), f"portal example {step}")
    assert out.strip() == f"ok {step}"


def _readme_tester_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# test_portal\.py\n.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 1, "README: the tester example starts with '# test_portal.py'"
    return str(blocks[0])


def test_the_readme_tester_example_passes(installed: Installed) -> None:
    folder = installed.work / "tester"
    folder.mkdir()
    (folder / "test_portal.py").write_text(_readme_tester_example(), encoding="utf-8")
    proc = installed.run(installed.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         cwd=folder, timeout=300)
    out = _check(proc, "the README's tester example")
    # Four tests plus one per token fault, all passing.
    assert f"{4 + len(TOKEN_FAULTS)} passed" in out.strip().splitlines()[-1], out


def test_eid_serve_in_production_and_eid_audit_from_the_wheel(installed: Installed) -> None:
    """The production server (granian, its worker building the wheel's app) serves and stops
    on SIGTERM with exit 0; ``eid audit verify`` then checks the instance's log it created."""
    instance = installed.work / "served-instance"
    port = free_port()
    env = {**installed.env, "EID_INSTANCE": str(instance), "EID_TEST_MODE": "1"}
    proc = subprocess.Popen(  # noqa: S603 - our own venv's eid, fixed arguments
        [installed.bin("eid"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=installed.work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        assert json.loads(wait_until_serving(f"{url}/healthz", proc, "eid serve"))
        discovery = json.loads(wait_until_serving(
            f"{url}/.well-known/openid-configuration", proc, "eid serve"))
        assert discovery["issuer"] == url
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0  # SIGTERM: a graceful stop
    out = installed.run(installed.bin("eid"), "audit", "verify", "--instance", str(instance))
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_dossier_sealed_and_verified_with_the_wheel(installed: Installed) -> None:
    """The dossier path of the README from the wheel alone: a credential issued from the
    wheel's own registry and forms, sealed by the portal's side, checked offline by
    ``eid dossier verify`` against pinned keys; one edited value rejected, named."""
    folder = installed.work / "dossier"
    folder.mkdir()
    script = folder / "seal_dossier.py"
    shutil.copy(SCRIPTS / "seal_dossier.py", script)  # run from outside the checkout
    _check(installed.run(installed.bin("python"), str(script), str(folder)), "seal a dossier")
    verify = (installed.bin("eid"), "dossier", "verify", "--issuer", "https://login.eid.test",
              "--jwks", str(folder / "issuer.jwks.json"))
    good = installed.run(*verify, str(folder / "good.dossier.json"))
    assert good.returncode == 0, good.stdout + good.stderr
    edited = installed.run(*verify, "--json", str(folder / "edited.dossier.json"))
    assert edited.returncode == 1, edited.stdout + edited.stderr
    report = json.loads(edited.stdout)
    failed = {f["field"]: f.get("code") for f in report["fields"] if f["status"] == "failed"}
    assert failed == {"full_name": "value_mismatch"}, report
