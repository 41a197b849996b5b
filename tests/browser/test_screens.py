"""Every screen (tests/browser/screens.py) at 1280 and 390 px, in Chromium, for WCAG 2.2.

Each screen is reached once on fresh servers; at each width axe-core (the npm package,
pinned in tests/interop's lockfile and injected into the page) scans it and the page's
facts are recorded, and a screenshot goes to artifacts/screens/<screen>-<width>.png. The
tests below then each check one thing about those facts: no serious or critical axe
violation, no sideways scrolling on a phone (WCAG 2.2 §1.4.10 Reflow), the declared
language (§3.1.1), text and inputs at least 16 px, fields whose edges show (§1.4.11), a
visible focus indicator with 3:1 contrast against what surrounds it (§2.4.7, §2.4.11,
§2.4.13), errors announced (§4.1.3) and tied to their fields (§3.3.1).
``test_every_html_route_has_a_screen`` keeps the list complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import NotFound

from tests.browser.conftest import ARTIFACTS, running_stack
from tests.browser.screens import MOCK_REDIRECT, NO_ROUTE, SCREENS, Env, Screen
from tests.servers import interop_packages

WIDTHS = (1280, 390)
PHONE = 390

_FACTS_JS = """() => {
  const visible = (el) => { const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0; };
  const small = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = el.matches('input:not([type=hidden]), select, textarea, button');
    if ((own || field) && visible(el)) {
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 16) small.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} ${size}px`);
    }
  }
  const announced = [];
  for (const el of document.querySelectorAll('.error, [role=alert], [aria-invalid=true]')) {
    if (el.matches('[aria-invalid=true]')) {
      const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
      announced.push({kind: 'field', id: el.id, describedby: ids,
                      resolved: ids.every((id) => document.getElementById(id) !== null)});
    } else {
      const live = el.closest('[role=alert], [aria-live=assertive], [aria-live=polite]');
      announced.push({kind: 'message', id: el.id, live: live !== null});
    }
  }
  const behind = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const c = getComputedStyle(a).backgroundColor;
      if (c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const edges = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(visible).map((el) => { const s = getComputedStyle(el);
      return {what: el.name || el.id, border: s.borderTopColor,
              width: parseFloat(s.borderTopWidth), bg: s.backgroundColor, behind: behind(el)}; });
  return {lang: document.documentElement.lang,
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth, small, announced, edges};
}"""

# The focused element's outline, and the colour of what is drawn around it (the nearest
# ancestor with an opaque background: the outline sits outside the element).
_FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  let bg = 'rgb(255, 255, 255)';
  for (let a = el.parentElement; a; a = a.parentElement) {
    const c = getComputedStyle(a).backgroundColor;
    if (c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) { bg = c; break; }
  }
  return {what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' '
                + (el.textContent || el.name || '').trim().slice(0, 30),
          style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          offset: parseFloat(s.outlineOffset), color: s.outlineColor, bg};
}"""


@dataclass
class WidthFacts:
    violations: list[dict[str, Any]]
    scroll_width: int
    inner_width: int
    lang: str
    small_text: list[str]
    announced: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    focus: list[dict[str, Any]]
    screenshot: Path


@dataclass
class Facts:
    endpoint: str
    method: str
    status: int
    widths: dict[int, WidthFacts] = field(default_factory=dict)


def _rgb(css: str) -> tuple[float, float, float]:
    parts = css[css.index("(") + 1:css.index(")")].replace(",", " ").split()
    return float(parts[0]), float(parts[1]), float(parts[2])


def contrast(a: str, b: str) -> float:
    """WCAG 2.2 contrast ratio of two CSS ``rgb()`` colours (relative luminance, §1.4.3)."""
    def lum(css: str) -> float:
        def channel(v: float) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b_ = (channel(v) for v in _rgb(css))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@contextmanager
def _office(issuer: str) -> Iterator[tuple[str, Any]]:
    """The receiving office, trusting ``issuer``; its identifier the portal's default
    addressee, so the portal's dossiers are addressed to it."""
    from service.office import OfficeSettings, create_office_app
    from service.serving import Server

    with Server() as server:
        app = create_office_app(settings=OfficeSettings(issuer=issuer))
        server.mount(app).start()
        yield server.url, app


@contextmanager
def _mock(tmp_path: Path, keys_db: Path) -> Iterator[tuple[str, Any]]:
    from service import create_app
    from service.config import Settings
    from service.serving import Server

    instance = tmp_path / "mock"
    instance.mkdir()
    db = instance / "eid.sqlite"
    shutil.copy(keys_db, db)
    with Server() as server:
        app = create_app({"EID_SETTINGS": Settings(
            issuer=server.url, instance=instance, durable_path=str(db), test_mode=True,
            mock=True, test_redirect_uris=(MOCK_REDIRECT,))})
        server.mount(app).start()
        try:
            yield server.url, app
        finally:
            app.extensions["eid"].durable.close()


def _endpoint(app: Any, url: str, method: str) -> str:
    """The endpoint of ``app`` that answers ``method`` at ``url``."""
    try:
        rule, _ = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except NotFound:
        return NO_ROUTE
    return str(rule)


def _focus_walk(page: Any) -> list[dict[str, Any]]:
    """Tab through the page (keyboard focus, so :focus-visible applies) and record each
    focused element's outline."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                  "window.scrollTo(0, 0); }")
    seen: list[dict[str, Any]] = []
    first = None
    for _ in range(80):
        page.keyboard.press("Tab")
        found = page.evaluate(_FOCUS_JS)
        if found is None or found == first:
            break
        first = first or found
        seen.append(found)
    return seen


class Scanner:
    """Reaches each screen once (fresh servers, fresh browser context) and keeps its facts."""

    def __init__(self, chromium: Any, tmp: pytest.TempPathFactory, keys_db: Path) -> None:
        self._chromium, self._tmp, self._keys = chromium, tmp, keys_db
        self._axe = (interop_packages() / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
        self._facts: dict[str, Facts] = {}

    def __call__(self, screen: Screen) -> Facts:
        if screen.name not in self._facts:
            self._facts[screen.name] = self._scan(screen)
        return self._facts[screen.name]

    def _scan(self, screen: Screen) -> Facts:
        tmp_path = self._tmp.mktemp(screen.name)
        with ExitStack() as stack:
            running = stack.enter_context(running_stack(tmp_path, self._keys))
            apps = {"service": running.service_app, "portal": running.portal_app}
            env = Env(running)
            if screen.app == "mock":
                url, apps["mock"] = stack.enter_context(_mock(tmp_path, self._keys))
                env = Env(running, mock=url)
            if screen.app == "office":
                url, apps["office"] = stack.enter_context(_office(running.issuer))
                env = Env(running, office=url)
            # The pages' CSP admits only their own scripts; axe is injected by the test.
            context = self._chromium.new_context(locale="vi-VN", bypass_csp=True,
                                                 viewport={"width": WIDTHS[0], "height": 900})
            stack.callback(context.close)
            context.set_default_timeout(15_000)
            page = context.new_page()
            last: list[Any] = []
            page.on("response", lambda r: last.append(r) if r.request.is_navigation_request()
                    and r.frame == page.main_frame else None)
            screen.reach(page, env)
            page.wait_for_load_state()
            final = last[-1]
            facts = Facts(_endpoint(apps[screen.app], final.url, final.request.method),
                          final.request.method, final.status)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                facts.widths[width] = self._at_width(page, screen, width)
            return facts

    def _at_width(self, page: Any, screen: Screen, width: int) -> WidthFacts:
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.add_script_tag(content=self._axe)
        violations = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
        facts = page.evaluate(_FACTS_JS)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{screen.name}-{width}.png"
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
        page.screenshot(path=str(shot), full_page=True)  # before the walk leaves focus on
        focus = _focus_walk(page)
        return WidthFacts(_serious(violations), facts["scrollWidth"],
                          facts["innerWidth"], facts["lang"],
                          facts["small"], facts["announced"], facts["edges"], focus, shot)


def _serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in violations if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="session")
def scan(chromium: Any, tmp_path_factory: pytest.TempPathFactory,
         browser_keys_db: Path) -> Callable[[Screen], Facts]:
    return Scanner(chromium, tmp_path_factory, browser_keys_db)


Scan = Callable[[Screen], Facts]
BY_NAME = pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
BY_WIDTH = pytest.mark.parametrize("width", WIDTHS)


@BY_NAME
def test_screen_is_reached_at_its_declared_route(scan: Scan, screen: Screen) -> None:
    facts = scan(screen)
    assert (facts.endpoint, facts.method, facts.status) == \
        (screen.endpoint, screen.method, screen.status)
    for width in WIDTHS:
        assert facts.widths[width].screenshot.stat().st_size > 0


@BY_WIDTH
@BY_NAME
def test_no_serious_or_critical_axe_violation(scan: Scan, screen: Screen, width: int) -> None:
    assert scan(screen).widths[width].violations == []


@BY_NAME
def test_no_horizontal_scroll_on_a_phone(scan: Scan, screen: Screen) -> None:
    # WCAG 2.2 §1.4.10
    facts = scan(screen).widths[PHONE]
    assert facts.scroll_width <= facts.inner_width


@BY_NAME
def test_page_declares_its_language(scan: Scan, screen: Screen) -> None:
    assert {scan(screen).widths[w].lang for w in WIDTHS} == {screen.lang}


@BY_WIDTH
@BY_NAME
def test_text_and_inputs_are_at_least_16px(scan: Scan, screen: Screen, width: int) -> None:
    assert scan(screen).widths[width].small_text == []


@BY_WIDTH
@BY_NAME
def test_focus_indicator_is_visible_with_3_to_1_contrast(
        scan: Scan, screen: Screen, width: int) -> None:
    focus = scan(screen).widths[width].focus
    assert focus  # every screen has something to focus (at least the header's links)
    weak = [f for f in focus if f["style"] in ("none", "hidden") or f["width"] < 2
            or f["offset"] < 0 or contrast(f["color"], f["bg"]) < 3]
    assert weak == []


@BY_WIDTH
@BY_NAME
def test_every_field_shows_its_edge_with_3_to_1_contrast(
        scan: Scan, screen: Screen, width: int) -> None:
    # WCAG 2.2 §1.4.11: a field's border (or its fill) against what surrounds it.
    faint = [e for e in scan(screen).widths[width].edges
             if not (e["width"] >= 1 and contrast(e["border"], e["behind"]) >= 3)
             and contrast(e["bg"], e["behind"]) < 3]
    assert faint == []


@BY_NAME
def test_errors_are_announced_and_tied_to_their_fields(scan: Scan, screen: Screen) -> None:
    announced = scan(screen).widths[WIDTHS[0]].announced
    assert [m for m in announced if m["kind"] == "message" and not m["live"]] == []
    fields = {f["id"]: f for f in announced if f["kind"] == "field"}
    assert [f for f in fields.values() if not f["describedby"] or not f["resolved"]] == []
    assert sorted(fields) == sorted(screen.invalid)


# --- the list covers every page --------------------------------------------------------------
# Routes that never answer with an HTML page of their own, each with the reason. Their
# errors are the shared error page, scanned as "error-page" (login service) and
# "refusal" (portal).
NOT_PAGES = {
    "service": {
        "static": "CSS",
        "assets.favicon": "the icon",
        "mydata.home": "redirects to /my-data",
        "authorize.resume": "redirects to consent or back to the portal",
        "consent.consent_submit": "redirects back to the portal",
        "mydata.revoke": "redirects to /my-data",
        "login.logout": "redirects to the login screen (scanned as login-signed-out)",
        "accessed.download": "JSON download",
        "discovery.configuration": "JSON", "discovery.jwks": "JSON",
        "api.token": "JSON", "api.userinfo": "JSON or JWT", "api.revoke": "empty or JSON",
        "api.introspection": "JSON or JWT", "par.pushed_authorization_request": "JSON",
        "registration.register": "JSON", "registration.read": "JSON",
        "match.match": "JSON", "ops.healthz": "JSON", "ops.readyz": "JSON",
        "ops.prometheus": "Prometheus text",
        "transparency.checkpoint": "signed note (text)", "transparency.consistency": "JSON",
        "transparency.inclusion": "JSON", "transparency.key": "text",
        # The credential issuer (OpenID4VCI 1.0): machine-to-machine only.
        "credential.metadata": "JSON", "credential.nonce": "JSON",
        "credential.credential": "JSON", "credential.status_list": "status list JWT",
    },
    # The mock is the login service plus these; its shared pages are scanned on the service.
    "mock": {
        "mock.next_error": "JSON test control", "mock.reset": "JSON test control",
        "mock.rotate_keys": "JSON test control", "mock.state": "JSON test control",
    },
    "office": {
        "static": "CSS", "office.static": "CSS",
        "office.set_lang": "redirects back to the page",
        "office.favicon": "the icon",
    },
    "portal": {
        "static": "CSS",
        "portal.favicon": "the icon",
        "portal.set_lang": "redirects back to the page",
        "portal.dossier": "the sealed dossier: a JSON download",
        "eid_login.login": "redirects to the login service",
        "eid_login.logout": "redirects to the login service's end-session",
        "eid_login.signed_out": "post-logout landing: redirects to a clean URL "
                                "(scanned as portal-signed-out)",
        "eid_login.backchannel_logout": "OpenID Back-Channel Logout: empty answer",
    },
}


def _build_url_maps() -> dict[str, Any]:
    import tempfile

    from service import create_app
    from service.config import Settings
    from service.office import OfficeSettings, create_office_app
    from service.portal import PortalSettings, create_portal_app

    maps: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        for name, extra in (("service", {}), ("mock", {"test_mode": True, "mock": True})):
            app = create_app({"EID_SETTINGS": Settings(
                issuer="http://127.0.0.1:1", instance=instance / name,
                **extra)})  # type: ignore[arg-type]
            maps[name] = app.url_map
            app.extensions["eid"].durable.close()
        maps["portal"] = create_portal_app(settings=PortalSettings(
            issuer="http://127.0.0.1:1", public_url="http://127.0.0.1:2",
            instance=instance / "portal")).url_map
        maps["office"] = create_office_app(settings=OfficeSettings(
            issuer="http://127.0.0.1:1")).url_map
    return maps


@pytest.fixture(scope="module")
def url_maps() -> dict[str, Any]:
    return _build_url_maps()


def test_every_html_route_has_a_screen(url_maps: dict[str, Any]) -> None:
    routes = {name: {r.endpoint for r in m.iter_rules()} for name, m in url_maps.items()}
    # Pages the mock shares with the login service are scanned there; the picker makes
    # the mock's login page its own.
    wanted = dict(routes, mock=routes["mock"] - routes["service"] | {"login.login"})
    for app, names in wanted.items():
        scanned = {s.endpoint for s in SCREENS if s.app == app} - {NO_ROUTE}
        assert sorted(names - set(NOT_PAGES[app]) - scanned) == [], f"{app}: pages not scanned"
        assert sorted(scanned - routes[app]) == [], f"{app}: screens without a route"
        assert sorted(set(NOT_PAGES[app]) & scanned) == [], f"{app}: listed as not a page"
        assert sorted(set(NOT_PAGES[app]) - routes[app]) == [], f"{app}: stale exclusions"


def test_screen_names_are_unique() -> None:
    names = [s.name for s in SCREENS]
    assert len(names) == len(set(names))


def test_contrast_of_known_pairs() -> None:
    # WCAG's own end points, and the red header's white text.
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(255, 255, 255)", "rgb(255, 255, 255)") == pytest.approx(1)
    assert contrast("rgb(255, 255, 255)", "rgb(179, 38, 30)") == pytest.approx(6.6, abs=0.1)

