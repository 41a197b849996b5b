"""A real browser against the real servers: Playwright drives Debian's Chromium.

The login service and the demo portal run in this process on free loopback
ports (``service.serving``, the commands' own launcher); Playwright never
downloads a browser, it uses /usr/bin/chromium (installed by `make test`).
Every screen a test visits is kept as a PNG under ``artifacts/screens/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import require_binary, signing_keys_template

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screens"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class Stack:
    """The running login service and portal."""

    issuer: str
    portal: str
    service_app: Any
    portal_app: Any


@pytest.fixture(scope="session")
def browser_keys_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signing_keys_template(tmp_path_factory.mktemp("browser-keys") / "template.sqlite")


@pytest.fixture
def stack(tmp_path: Path, browser_keys_db: Path) -> Iterator[Stack]:
    """A fresh login service and portal for each test (no state shared between tests)."""
    with running_stack(tmp_path, browser_keys_db) as running:
        yield running


@contextmanager
def running_stack(tmp_path: Path, browser_keys_db: Path) -> Iterator[Stack]:
    """A login service and portal on free loopback ports, their state under ``tmp_path``."""
    from service import create_app
    from service.config import Settings
    from service.portal import PortalSettings, create_portal_app
    from service.serving import Server
    from service.stack import local_portal

    # Both bound first: each app is built knowing the other's URL.
    with Server() as login_server, Server() as portal_server:
        issuer, portal = login_server.url, portal_server.url
        db = tmp_path / "eid.sqlite"
        shutil.copy(browser_keys_db, db)
        portal_app = create_portal_app(settings=PortalSettings(
            issuer=issuer, public_url=portal, instance=tmp_path / "portal"))
        # The demo portal's registration follows this run's portal port (as `eid up`).
        service_app = create_app({"EID_SETTINGS": Settings(
            issuer=issuer, instance=tmp_path, durable_path=str(db),
            local_portal=local_portal(portal_app))})
        login_server.mount(service_app).start()
        portal_server.mount(portal_app).start()
        yield Stack(issuer, portal, service_app, portal_app)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = require_binary("chromium", "chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - installed by make test
        pytest.fail("playwright is not installed: run make test")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


Shot = Callable[[str], Path]


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Shot:
    """``shot("consent")`` saves the current screen as artifacts/screens/<test>-<n>-consent.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    count = [0]

    def take(name: str) -> Path:
        count[0] += 1
        path = ARTIFACTS / f"{test}-{count[0]:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
