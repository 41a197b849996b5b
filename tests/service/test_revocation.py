"""Withdrawing a consent ends every grant of that portal, whatever is in flight.

RFC 7009 §2.1 and OIDC Core §11: after the citizen revokes a portal on "My shared
data", no code issued before, no redemption racing the revocation, no refresh
token and no access token of that portal works any more, even when no consent
row is left; and "My shared data" lists every portal that still holds a live
grant, so the citizen can always revoke it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from eid.storage import Consent
from tests.service.flow import HCM, LOA2, Authorization, Flow, csrf_of

OFFLINE = "openid profile offline_access"


def _revoke_on_my_data(flow: Flow, client_id: str = HCM.client_id, status: int = 302) -> None:
    page = flow.browser.get("/my-data")
    r = flow.browser.post("/my-data/revoke", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "client_id": client_id})
    assert r.status_code == status


def _listed(flow: Flow, client_id: str = HCM.client_id) -> bool:
    return f'data-client="{client_id}"'.encode() in flow.browser.get("/my-data").data


def _coded(flow: Flow, scope: str = OFFLINE) -> Authorization:
    auth = flow.request(scope=scope)
    flow.authorize(auth)
    return auth


def _refresh(flow: Flow, token: str) -> Any:
    return flow.token({"grant_type": "refresh_token", "refresh_token": token})


def _userinfo(flow: Flow, access_token: str) -> Any:
    return flow.api.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def _in_another_thread(action: Callable[[], None]) -> None:
    """Run ``action`` as a concurrent request would, to its end (bounded)."""
    thread = threading.Thread(target=action)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()


def _assert_dead(flow: Flow, body: dict[str, Any]) -> None:
    """No token of this token response works any more."""
    assert _userinfo(flow, body["access_token"]).status_code == 401
    assert flow.introspect(body["access_token"]) == {"active": False}
    if "refresh_token" in body:
        assert _refresh(flow, body["refresh_token"]).json["error"] == "invalid_grant"
        assert flow.introspect(body["refresh_token"]) == {"active": False}


def test_a_code_issued_before_a_revocation_cannot_be_redeemed_after_it(flow: Flow) -> None:
    auth = _coded(flow)
    _revoke_on_my_data(flow)
    r = flow.redeem(auth)
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"
    assert not _listed(flow)


def test_consenting_again_does_not_revive_a_code_issued_before_the_revocation(
        flow: Flow) -> None:
    old = _coded(flow)
    _revoke_on_my_data(flow)
    new = _coded(flow)  # the consent screen again, approved
    assert flow.redeem(old).json["error"] == "invalid_grant"
    assert flow.redeem(new).status_code == 200


def test_a_code_whose_scopes_the_consent_no_longer_covers_is_refused(flow: Flow) -> None:
    auth = _coded(flow)
    p = flow.app.extensions["eid"]
    p.durable.save_consent(Consent(LOA2[0], HCM.client_id, frozenset({"openid"}), p.now()))
    assert flow.redeem(auth).json["error"] == "invalid_grant"


def test_a_revocation_racing_a_redemption_leaves_no_live_token(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import tokens

    auth = _coded(flow)
    real = tokens.verify_pkce

    def revoke_meanwhile(verifier: str | None, challenge: str) -> None:
        real(verifier, challenge)  # the code has passed its checks: now the citizen revokes
        _in_another_thread(lambda: _revoke_on_my_data(flow))

    monkeypatch.setattr(tokens, "verify_pkce", revoke_meanwhile)
    r = flow.redeem(auth)
    if r.status_code == 200:
        _assert_dead(flow, r.json)
    else:
        assert r.json["error"] == "invalid_grant"
    assert not _listed(flow)


def test_a_revocation_racing_a_refresh_leaves_no_live_token(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    first = flow.redeem(_coded(flow)).json
    durable = flow.app.extensions["eid"].durable
    real = durable.rotate_refresh

    def revoke_after_rotating(grant_id: str, old: str, new: str) -> bool:
        done = real(grant_id, old, new)
        _in_another_thread(lambda: _revoke_on_my_data(flow))
        return bool(done)

    monkeypatch.setattr(durable, "rotate_refresh", revoke_after_rotating)
    r = _refresh(flow, first["refresh_token"])
    monkeypatch.undo()
    if r.status_code == 200:
        _assert_dead(flow, r.json)
    _assert_dead(flow, first)


def test_my_shared_data_lists_and_revokes_a_grant_left_without_a_consent(flow: Flow) -> None:
    body = flow.redeem(_coded(flow)).json
    p = flow.app.extensions["eid"]
    # What a code redeemed after a revocation left behind before this fix: a live grant
    # with no consent row. The citizen must still see the portal and be able to revoke it.
    p.durable.revoke_consent(LOA2[0], HCM.client_id)
    assert _listed(flow)
    _revoke_on_my_data(flow)
    _assert_dead(flow, body)
    assert not _listed(flow)


def test_after_a_revocation_no_token_of_the_portal_works(flow: Flow) -> None:
    first = flow.redeem(_coded(flow)).json
    second = _refresh(flow, first["refresh_token"]).json  # rotated: first's token is spent
    other = flow.redeem(_coded(flow)).json  # a second grant of the same portal
    _revoke_on_my_data(flow)
    for body in (second, other):
        _assert_dead(flow, body)
    # The spent token of the first rotation is refused too (and revives nothing).
    assert _refresh(flow, first["refresh_token"]).json["error"] == "invalid_grant"
    assert _userinfo(flow, first["access_token"]).status_code == 401
    again = flow.request(scope=OFFLINE)
    assert b'id="consent-form"' in flow.follow(flow.start(again)).data


def test_revoking_a_refresh_token_ends_its_access_tokens_at_userinfo(flow: Flow) -> None:
    first = flow.redeem(_coded(flow)).json
    second = _refresh(flow, first["refresh_token"]).json
    assert _userinfo(flow, second["access_token"]).status_code == 200
    headers, form = flow.client_auth(HCM)
    flow.api.post("/revoke", data={"token": second["refresh_token"], **form}, headers=headers)
    # RFC 7009 §2.1: the access tokens of the same grant go with it, the earlier one too.
    assert _userinfo(flow, second["access_token"]).status_code == 401
    assert _userinfo(flow, first["access_token"]).status_code == 401


def test_revoking_an_unknown_or_foreign_portal_changes_nothing(flow: Flow) -> None:
    body = flow.redeem(_coded(flow)).json
    for client_id, status in (("no-such-portal", 302), ("x" * 5000, 400),
                              ("cong-dvc-quoc-gia-demo", 302)):
        _revoke_on_my_data(flow, client_id, status)  # an oversized id: invalid_request
    assert _userinfo(flow, body["access_token"]).status_code == 200
    assert _refresh(flow, body["refresh_token"]).status_code == 200
    assert _listed(flow)
