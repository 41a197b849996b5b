"""``sid`` per sector (issue 10 item 9): two portals of different sectors cannot link a
citizen by the session id, and logout still finds the session from any portal's ID token."""

from __future__ import annotations

from tests.service.flow import HCM, NATIONAL, Flow, Portal


def _id_token(flow: Flow, portal: Portal) -> tuple[str, dict[str, object]]:
    auth = flow.request(portal, scope="openid")
    flow.authorize(auth)
    token: str = flow.redeem(auth, portal).json["id_token"]
    return token, dict(flow.verify(token, portal))


def test_portals_of_different_sectors_get_different_sids(flow: Flow) -> None:
    _, hcm = _id_token(flow, HCM)
    _, national = _id_token(flow, NATIONAL)  # same browser, same login session
    assert hcm["sid"] and national["sid"]
    assert hcm["sid"] != national["sid"]
    assert hcm["sub"] != national["sub"]


def test_one_portal_gets_one_sid_for_the_session(flow: Flow) -> None:
    _, first = _id_token(flow, HCM)
    _, second = _id_token(flow, HCM)
    assert first["sid"] == second["sid"]


def test_logout_with_either_portals_id_token_ends_the_session(flow: Flow) -> None:
    _id_token(flow, HCM)
    token, _ = _id_token(flow, NATIONAL)
    r = flow.browser.get("/end-session", query_string={"id_token_hint": token})
    assert b'id="signed-out"' in r.data  # the hint named this session: no confirmation
    assert flow.browser.get("/my-data").status_code == 302
