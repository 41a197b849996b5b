"""ui_locales (OIDC Core §3.1.2.1) on the login and consent screens, kept through the login.

The language a new authorization request asks for beats one remembered from an earlier
visit; a switch on the login service's screens still wins for the rest of that login.
"""

from __future__ import annotations

import pytest

from tests.service.flow import Flow, csrf_of


def _consent_page(flow: Flow, **extra: str) -> str:
    auth = flow.request(scope="openid profile household", **extra)
    login = flow.follow(flow.start(auth))
    req_id = login.request.args["req"]
    consent = flow.follow(flow.submit_login("074078000101", "Hung-1978!", req_id))
    return consent.get_data(as_text=True)


@pytest.mark.parametrize(("ui_locales", "lang"), [
    ("en", "en"), ("fr-FR en-GB vi", "en"), ("vi en", "vi"), ("<x> en", "en"),
    ("fr de", "vi"),
])
def test_login_and_consent_speak_the_first_supported_language(flow: Flow, ui_locales: str,
                                                              lang: str) -> None:
    login = flow.follow(flow.start(flow.request(ui_locales=ui_locales)))
    assert f'<html lang="{lang}"' in login.get_data(as_text=True)
    consent = _consent_page(Flow(flow.app), ui_locales=ui_locales)
    assert f'<html lang="{lang}"' in consent and 'id="consent-form"' in consent


def test_a_new_request_beats_a_language_remembered_from_before(flow: Flow) -> None:
    first = flow.follow(flow.start(flow.request()))
    flow.browser.get(first.request.path + "?" + first.request.query_string.decode()
                     + "&lang=vi")  # the citizen once switched to Vietnamese here
    consent = _consent_page(flow, ui_locales="en")  # now chose English at the portal
    assert '<html lang="en"' in consent


def test_a_switch_during_the_login_holds_on_the_consent_screen(flow: Flow) -> None:
    login = flow.follow(flow.start(flow.request(ui_locales="en", scope="openid profile")))
    req_id = login.request.args["req"]
    switched = flow.browser.get(f"/login?req={req_id}&lang=vi")
    assert '<html lang="vi"' in switched.get_data(as_text=True)
    assert csrf_of(switched.get_data(as_text=True))
    consent = flow.follow(flow.submit_login("074078000101", "Hung-1978!", req_id))
    assert '<html lang="vi"' in consent.get_data(as_text=True)
