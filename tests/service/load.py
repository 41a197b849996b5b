"""A bounded load driver for a real login service on loopback (for the tests only).

Each flow is what a citizen's browser and a portal's back end do: ``/authorize``
→ the login screen → password (scrypt) → consent → the code at the portal's
callback → ``/token`` with the client secret (``offline_access``: a refresh
grant is stored). :func:`drive` runs flows on a few threads and stops by itself
after ``flows`` flows or ``seconds`` seconds, whichever comes first; it only
talks to a loopback address.

Every step's outcome is kept, so a fault test can tell "the service said 503
``temporarily_unavailable``" from a broken answer, and knows which consents and
grants the service acknowledged (a consent answered with the code; a grant
answered with a refresh token).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

from eid.oidc import make_pkce

__all__ = ["CITIZENS", "PORTAL", "Browser", "FlowResult", "Report", "drive", "run_flow",
           "token_request"]

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: A step waits this long at most for its answer.
STEP_TIMEOUT = 30.0

#: fixtures/clients.json and fixtures/README.md.
PORTAL = ("cong-dvc-hcm", "demo-hcm-portal-secret-2026", "http://127.0.0.1:5001/auth/callback")
#: Active accounts of fixtures/README.md: (ID number, password).
CITIZENS = (("074078000101", "Hung-1978!"), ("074181000202", "Hoa-1981!"),
            ("079095000707", "Vinh-1995!"), ("077188001010", "Lan-1988!"),
            ("079192001515", "Nguyet-1992!"), ("001080001818", "Hoa-1980!"),
            ("074199001919", "Anh-1999!"), ("064301002222", "Hbia-2001!"),
            ("079300002525", "Thu-2000!"), ("079099002626", "Phat-1999!"),
            ("079075002828", "Minh-1975!"), ("048182003030", "Oanh-1982!"))


class StepError(Exception):
    """A step's answer was not the one the flow needs (``status``, ``error`` code)."""

    def __init__(self, step: str, status: int, error: str) -> None:
        super().__init__(f"{step}: {status} {error}")
        self.step, self.status, self.error = step, status, error


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Browser:
    """One citizen's cookies, and requests to one loopback origin (one connection each)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.hostname not in _LOOPBACK or parts.port is None:
            raise ValueError(f"the load driver only talks to loopback: {base!r}")
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, target: str, form: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, cookies: bool = True) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=STEP_TIMEOUT)
        try:
            sent = dict(headers or {})
            body = urlencode(form).encode() if form is not None else None
            if body is not None:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            if cookies and self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, target, body=body, headers=sent)
            resp = conn.getresponse()
            data = resp.read()
            if cookies:
                for value in resp.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(value).items():
                        self.cookies[name] = morsel.value
            return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()


def _error_of(answer: Answer) -> str:
    location = answer.headers.get("location", "")
    if "error=" in location:
        return parse_qs(urlsplit(location).query).get("error", ["?"])[0]
    try:
        return str(json.loads(answer.body).get("error", "?"))
    except (ValueError, AttributeError):
        found = re.search(r"\b(temporarily_unavailable|server_error)\b", answer.text)
        return found.group(1) if found else "?"


def _expect(step: str, answer: Answer, status: int) -> Answer:
    if answer.status != status or "error=" in answer.headers.get("location", ""):
        raise StepError(step, answer.status, _error_of(answer))
    return answer


def _target(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _csrf(answer: Answer) -> str:
    found = _CSRF.search(answer.text)
    if not found:
        raise StepError("csrf", answer.status, "no_csrf_field")
    return found.group(1)


def token_request(base: str, form: dict[str, str], portal: tuple[str, str, str] = PORTAL
                  ) -> tuple[int, dict[str, str], dict[str, str]]:
    """The portal's back end at ``/token``: (status, headers, JSON body)."""
    basic = base64.b64encode(f"{portal[0]}:{portal[1]}".encode()).decode()
    r = Browser(base).send("POST", "/token", form, headers={"Authorization": f"Basic {basic}"},
                           cookies=False)
    return r.status, r.headers, json.loads(r.body)


@dataclass
class FlowResult:
    """What one flow got: ``error`` is ``None`` for a whole flow."""

    citizen: str
    step: str = ""
    status: int = 0
    error: str | None = None
    consented: bool = False       # the consent was answered with a code
    code: str | None = None
    verifier: str | None = None
    refresh_token: str | None = None
    seconds: float = 0.0


def run_flow(base: str, citizen: tuple[str, str], portal: tuple[str, str, str] = PORTAL
             ) -> FlowResult:
    """One complete login of ``citizen`` at ``portal``, through ``base``'s screens."""
    client_id, secret, redirect_uri = portal
    result = FlowResult(citizen[0])
    began = time.monotonic()
    browser = Browser(base)
    try:
        verifier, challenge = make_pkce()
        query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": "openid profile offline_access",
                           "state": "load", "nonce": "load", "code_challenge": challenge,
                           "code_challenge_method": "S256", "prompt": "consent"})
        r = _expect("authorize", browser.send("GET", f"/authorize?{query}"), 302)
        login = _target(r.headers["location"])
        req = parse_qs(urlsplit(login).query)["req"][0]
        page = _expect("login_page", browser.send("GET", login), 200)
        r = _expect("login", browser.send("POST", "/login", {
            "csrf_token": _csrf(page), "req": req, "id_number": citizen[0],
            "password": citizen[1]}), 302)
        r = _expect("resume", browser.send("GET", _target(r.headers["location"])), 302)
        page = _expect("consent_page", browser.send("GET", _target(r.headers["location"])), 200)
        r = _expect("consent", browser.send("POST", "/consent", {
            "csrf_token": _csrf(page), "req": req, "decision": "approve"}), 302)
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        result.consented, result.code, result.verifier = True, code, verifier
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        r = _expect("token", browser.send("POST", "/token", {
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier}, headers={"Authorization": f"Basic {basic}"},
            cookies=False), 200)
        result.refresh_token = json.loads(r.body).get("refresh_token")
        result.step = "done"
    except StepError as exc:
        result.step, result.status, result.error = exc.step, exc.status, exc.error
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, cut, timed out
        result.error = f"connection: {type(exc).__name__}"
    result.seconds = time.monotonic() - began
    return result


@dataclass
class Report:
    results: list[FlowResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def completed(self) -> list[FlowResult]:
        return [r for r in self.results if r.error is None]

    def errors(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results:
            if r.error is not None:
                counts[r.error] = counts.get(r.error, 0) + 1
        return counts


def drive(base: str, *, flows: int, seconds: float, concurrency: int = 4,
          report: Report | None = None) -> Report:
    """Run up to ``flows`` flows on ``concurrency`` threads, for ``seconds`` at most
    (a flow under way when time is up finishes; none starts after). ``report``, when
    given, fills as flows end (another thread may watch it)."""
    if not 1 <= flows <= 10_000 or not 0 < seconds <= 600 or not 1 <= concurrency <= 32:
        raise ValueError("a load is bounded: 1..10000 flows, 0..600 s, 1..32 threads")
    Browser(base)  # refuses anything but loopback before any thread starts
    report = report if report is not None else Report()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    started = 0

    def worker() -> None:
        nonlocal started
        while True:
            with lock:
                if started >= flows or time.monotonic() >= deadline:
                    return
                citizen = CITIZENS[started % len(CITIZENS)]
                started += 1
            outcome = run_flow(base, citizen)
            with lock:
                report.results.append(outcome)

    began = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + STEP_TIMEOUT * 8)
    report.seconds = time.monotonic() - began
    return report
