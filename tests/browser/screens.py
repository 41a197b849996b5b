"""Every screen a citizen can see, declared once, with the steps that reach it.

The accessibility scan (``test_screens.py``) walks :data:`SCREENS` at each width, and
``test_every_html_route_has_a_screen`` holds the list to the apps' routes, so a new
page cannot be added without being scanned. Each screen names the Flask endpoint that
answers its last navigation (checked when it is reached) and the language its page
must declare. ``reach`` starts from a fresh browser context on fresh servers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from eid.oidc import RelyingParty
from eid.prefill.loader import load_form
from tests.browser.conftest import ROOT, Stack

App = Literal["service", "mock", "portal", "office"]
#: The endpoint of a page no route answers (the 404 page).
NO_ROUTE = "(no route)"

HUNG = ("074078000101", "Hung-1978!")  # fixtures/README.md: level 2, household A head
KHANG = ("074209000303", "Khang-2009!")  # level 1
VINH = ("079095000707", "Vinh-1995!")  # level 2, household B head
LOCKED_PERSONA = "079090001313"  # a locked account: the mock's picker refuses it
PORTAL_ID, PORTAL_SECRET = "cong-dvc-hcm", "demo-hcm-portal-secret-2026"  # fixtures/README.md
MOCK_CLIENT = ("eid-test-client", "eid-test-secret")  # published by the mock (service/README.md)
MOCK_REDIRECT = "http://127.0.0.1:9/cb"  # registered on the mock; never reached


@dataclass(frozen=True)
class Env:
    """Where the servers of one test run: the login service and portal, the mock and the
    receiving office (each started only for its screens)."""

    stack: Stack
    mock: str | None = None
    office: str | None = None


@dataclass(frozen=True)
class Screen:
    name: str
    app: App
    endpoint: str  # the Flask endpoint that answers the screen's last navigation
    reach: Callable[[Any, Env], None]
    lang: str = "vi"
    method: str = "GET"
    status: int = 200
    # Inputs the screen's error message is about (aria-invalid, aria-describedby).
    invalid: tuple[str, ...] = ()


def _rp(env: Env, scopes: tuple[str, ...] = ("openid", "profile")) -> RelyingParty:
    return RelyingParty(issuer=env.stack.issuer, client_id=PORTAL_ID,
                        client_secret=PORTAL_SECRET,
                        redirect_uri=env.stack.portal + "/auth/callback", scopes=scopes)


def _sign_in(page: Any, id_number: str, password: str) -> None:
    page.fill("#id_number", id_number)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def _approve(page: Any) -> None:
    page.click("#consent-form button[value=approve]")
    page.wait_for_load_state()


# --- the login service ---------------------------------------------------------------------
def _login(page: Any, env: Env) -> None:
    page.goto(_rp(env).start_login()[0])


def _login_en(page: Any, env: Env) -> None:
    page.goto(_rp(env).start_login(ui_locales="en")[0])


def _login_error(page: Any, env: Env) -> None:
    _login(page, env)
    _sign_in(page, HUNG[0], "wrong-password")


def _lockout(page: Any, env: Env) -> None:
    _login(page, env)
    for attempt in range(5):  # the account locks at the 5th wrong password
        _sign_in(page, HUNG[0], f"wrong-password-{attempt}")


def _consent(page: Any, env: Env) -> None:
    page.goto(_rp(env, ("openid", "profile", "residence", "offline_access")).start_login()[0])
    _sign_in(page, *HUNG)


def _step_up(page: Any, env: Env) -> None:
    # Signed in already, the portal asks for a fresh login (prompt=login).
    page.goto(env.stack.issuer + "/login")
    _sign_in(page, *HUNG)
    page.goto(_rp(env).start_login(prompt="login", acr="LoA2")[0])


def _error_page(page: Any, env: Env) -> None:
    rp = RelyingParty(issuer=env.stack.issuer, client_id=PORTAL_ID, client_secret=PORTAL_SECRET,
                      redirect_uri=env.stack.portal + "/elsewhere")
    page.goto(rp.start_login()[0])


def _shared(page: Any, env: Env) -> None:
    # Consent given to the portal, so "My shared data" lists it.
    page.goto(env.stack.portal + "/procedures/ct01")
    _sign_in(page, *HUNG)
    _approve(page)
    page.goto(env.stack.issuer + "/my-data")


def _service_not_found(page: Any, env: Env) -> None:
    page.goto(env.stack.issuer + "/no-such-page")


def _my_data(page: Any, env: Env) -> None:
    _shared(page, env)


def _my_data_revoked(page: Any, env: Env) -> None:
    _shared(page, env)
    page.click("section.portal button[type=submit]")
    page.wait_for_load_state()


def _who_accessed(page: Any, env: Env) -> None:
    _shared(page, env)
    page.click("#access-link")
    page.wait_for_load_state()


def _logout_confirm(page: Any, env: Env) -> None:
    page.goto(env.stack.issuer + "/login")
    _sign_in(page, *HUNG)
    page.goto(env.stack.issuer + f"/end-session?client_id={PORTAL_ID}")


def _logout_signed_out(page: Any, env: Env) -> None:
    _logout_confirm(page, env)
    page.click("#logout-form button[type=submit]")
    page.wait_for_load_state()


def _login_signed_out(page: Any, env: Env) -> None:
    page.goto(env.stack.issuer + "/login")
    _sign_in(page, *HUNG)  # lands on "My shared data", whose button signs out
    page.click("main form[action$='/logout'] button[type=submit]")
    page.wait_for_load_state()


# --- the mock ------------------------------------------------------------------------------
def _mock_login(page: Any, env: Env) -> None:
    assert env.mock is not None
    rp = RelyingParty(issuer=env.mock, client_id=MOCK_CLIENT[0], client_secret=MOCK_CLIENT[1],
                      redirect_uri=MOCK_REDIRECT)
    page.goto(rp.start_login()[0])


def _mock_refused(page: Any, env: Env) -> None:
    _mock_login(page, env)
    page.click(f"#mock-picker-form button[value='{LOCKED_PERSONA}']")
    page.wait_for_load_state()


def _mock_consent(page: Any, env: Env) -> None:
    _mock_login(page, env)
    page.click(f"#mock-picker-form button[value='{HUNG[0]}']")
    page.wait_for_load_state()


# --- the demo portal -----------------------------------------------------------------------
def _portal_not_found(page: Any, env: Env) -> None:
    page.goto(env.stack.portal + "/procedures/no-such-procedure")


def _portal_home(page: Any, env: Env) -> None:
    page.goto(env.stack.portal + "/")


def _portal_home_en(page: Any, env: Env) -> None:
    page.goto(env.stack.portal + "/lang/en?next=/")


def _form(procedure: str, citizen: tuple[str, str] = HUNG) -> Callable[[Any, Env], None]:
    def reach(page: Any, env: Env) -> None:
        page.goto(env.stack.portal + "/")
        page.click(f"#open-{procedure}")
        _sign_in(page, *citizen)
        _approve(page)
        page.wait_for_selector("form#filing")
    return reach


def _form_missing(page: Any, env: Env) -> None:
    _form("khai-sinh")(page, env)
    # The citizen's own fields left empty, and sent as a browser without form validation
    # would (the required attributes stop Chromium): the server's answer is the screen.
    page.evaluate("() => { document.getElementById('filing').noValidate = true; }")
    page.click("#submit")
    page.wait_for_selector("#missing")


def _typed_by_citizen(form_file: str) -> tuple[str, ...]:
    """The ids of the inputs of a form's required fields the citizen types."""
    form = load_form(ROOT / "fixtures" / "forms" / form_file)
    return tuple(f"eid-{f.id}" for f in form.fields if f.required and f.source.type == "user")


def _receipt(page: Any, env: Env) -> None:
    _form("ct01")(page, env)
    page.fill("input[name=receiving_office]", "Công an phường Thủ Dầu Một")
    page.fill("input[name=request]", "Đăng ký tạm trú cho cả hộ")
    page.click("#submit")
    page.wait_for_selector("#reference")


def _filings(page: Any, env: Env) -> None:
    _receipt(page, env)
    page.goto(env.stack.portal + "/filings")


def _refusal(page: Any, env: Env) -> None:
    page.goto(env.stack.portal + "/")
    page.click("#open-khai-sinh")  # level 2 required; Khang's account is level 1
    _sign_in(page, *KHANG)
    page.wait_for_selector("#refusal")


def _portal_signed_out(page: Any, env: Env) -> None:
    _form("ct01")(page, env)
    page.click("header form.inline button")
    page.wait_for_url(lambda url: url.startswith(env.stack.portal + "/"))
    page.wait_for_load_state()


# --- the receiving office ----------------------------------------------------------------
def _office(page: Any, env: Env) -> None:
    assert env.office is not None  # the scan starts the office for office screens
    page.goto(env.office + "/")


def _office_no_file(page: Any, env: Env) -> None:
    _office(page, env)
    page.evaluate("() => { document.getElementById('upload').noValidate = true; }")
    page.click("#check")
    page.wait_for_selector("#upload-error")


def _office_report(page: Any, env: Env) -> None:
    _receipt(page, env)  # the portal seals the filing as a dossier for the office
    with page.expect_download() as download:
        page.click("#dossier-download")
    path = download.value.path()
    _office(page, env)
    page.set_input_files("#dossier-file", str(path))
    page.click("#check")
    page.wait_for_selector("#verdict")


SCREENS: tuple[Screen, ...] = (
    Screen("login", "service", "login.login", _login),
    Screen("login-en", "service", "login.login", _login_en, lang="en"),
    Screen("login-error", "service", "login.login_submit", _login_error, method="POST",
           invalid=("id_number", "password")),
    Screen("lockout", "service", "login.login_submit", _lockout, method="POST"),
    Screen("consent", "service", "consent.consent", _consent),
    Screen("step-up", "service", "login.login", _step_up),
    Screen("error-page", "service", "authorize.authorize", _error_page, status=400),
    Screen("not-found", "service", NO_ROUTE, _service_not_found, status=404),
    Screen("my-data", "service", "mydata.index", _my_data),
    Screen("my-data-revoked", "service", "mydata.index", _my_data_revoked),
    Screen("who-accessed", "service", "accessed.index", _who_accessed),
    Screen("logout-confirm", "service", "logout.end_session_endpoint", _logout_confirm),
    Screen("logout-done", "service", "logout.confirm", _logout_signed_out, method="POST"),
    Screen("login-signed-out", "service", "login.login", _login_signed_out),
    Screen("mock-login", "mock", "login.login", _mock_login),
    Screen("mock-refused", "mock", "mock_picker.pick", _mock_refused, method="POST"),
    Screen("mock-consent", "mock", "consent.consent", _mock_consent),
    Screen("portal-home", "portal", "portal.index", _portal_home),
    Screen("portal-home-en", "portal", "portal.index", _portal_home_en, lang="en"),
    Screen("form-ct01", "portal", "portal.procedure", _form("ct01")),
    Screen("form-khai-sinh", "portal", "portal.procedure", _form("khai-sinh")),
    Screen("form-lien-thong-khai-sinh", "portal", "portal.procedure",
           _form("lien-thong-khai-sinh")),
    Screen("form-missing", "portal", "portal.procedure", _form_missing, method="POST",
           status=422, invalid=_typed_by_citizen("birth_registration.json")),
    Screen("receipt", "portal", "portal.receipt", _receipt),
    Screen("filings", "portal", "portal.filings", _filings),
    Screen("refusal", "portal", "eid_login.callback", _refusal, status=403),
    Screen("portal-signed-out", "portal", "portal.index", _portal_signed_out),
    Screen("portal-not-found", "portal", "portal.procedure", _portal_not_found, status=404),
    Screen("office-upload", "office", "office.index", _office),
    Screen("office-no-file", "office", "office.verify", _office_no_file, method="POST",
           status=400),
    Screen("office-report", "office", "office.verify", _office_report, method="POST"),
)
