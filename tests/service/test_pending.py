"""service/pending.py: a pending authorization request is written to the short-lived
store only when a screen needs its id, and the code supersedes what was written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from eid.errors import InvalidRequest
from service.authz_request import AuthorizationRequest
from service.pending import PendingRequest
from service.provider import Provider
from service.state_keys import pending_request
from tests.service.flow import LOA2, TEST_CLIENT, Flow, query


class Writes:
    """Every key the short-lived store is asked to write or delete, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, p: Provider) -> None:
        self.keys: list[tuple[str, str]] = []
        store = p.ephemeral
        put, write_many, delete = store.put, store.write_many, store.delete

        def spy_put(key: str, value: Any, ttl: float) -> None:
            self.keys.append(("put", key))
            put(key, value, ttl)

        def spy_write_many(items: Any, *, deletes: Any = ()) -> None:
            self.keys.extend(("put", k) for k in items)
            self.keys.extend(("delete", k) for k in deletes)
            write_many(items, deletes=deletes)

        def spy_delete(key: str) -> None:
            self.keys.append(("delete", key))
            delete(key)

        monkeypatch.setattr(store, "put", spy_put)
        monkeypatch.setattr(store, "write_many", spy_write_many)
        monkeypatch.setattr(store, "delete", spy_delete)

    def pending(self) -> list[tuple[str, str]]:
        return [(op, key) for op, key in self.keys if key.endswith(":authreq")]


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch, app: Flask) -> Writes:
    return Writes(monkeypatch, app.extensions["eid"])


@pytest.fixture
def request_record(flow: Flow) -> tuple[Provider, str, AuthorizationRequest]:
    """A request made pending by the login screen: the provider, its id, the request."""
    p: Provider = flow.app.extensions["eid"]
    r = flow.start(flow.request())
    assert r.status_code == 302 and "/login" in r.location, r.location
    req_id = query(r.location)["req"]
    return p, req_id, AuthorizationRequest(**p.ephemeral.get(pending_request(req_id)))


def test_a_sign_in_with_nothing_left_to_do_writes_no_pending_request(
        flow: Flow, writes: Writes) -> None:
    flow.authorize(flow.request())  # logs in and consents: a screen, so it was written
    assert [op for op, _ in writes.pending()] == ["put", "put", "delete"]  # authorize, login
    writes.keys.clear()
    auth = flow.request(state="again")
    result = flow.authorize(auth)  # the live session and the remembered consent
    assert result["state"] == "again" and "code" in result
    assert writes.pending() == []
    assert flow.redeem(auth).status_code == 200


def test_the_test_sign_in_writes_no_pending_request(
        test_mode_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = Writes(monkeypatch, test_mode_app.extensions["eid"])
    flow = Flow(test_mode_app)
    auth = flow.request(TEST_CLIENT)
    r = flow.start(auth, headers={"X-Eid-Test-Identity": LOA2[0]})
    assert r.status_code == 302 and r.location.startswith(TEST_CLIENT.redirect_uri), r.location
    assert writes.pending() == []
    auth.result = query(r.location)
    assert flow.redeem(auth, TEST_CLIENT).status_code == 200


def test_the_login_screen_gets_an_id_that_resolves_and_the_code_removes_it(
        flow: Flow, writes: Writes) -> None:
    auth = flow.request()
    r = flow.start(auth)
    assert auth.req_id is not None and writes.pending() == [
        ("put", pending_request(auth.req_id))]
    assert flow.follow(r).status_code == 200  # the login page found the request
    flow.authorize(auth)
    p: Provider = flow.app.extensions["eid"]
    assert p.ephemeral.get(pending_request(auth.req_id)) is None
    assert writes.pending()[-1] == ("delete", pending_request(auth.req_id))


def test_an_approved_consent_is_not_written_again_when_the_code_follows(
        flow: Flow, writes: Writes) -> None:
    auth = flow.request()
    flow.follow(flow.start(auth))
    r = flow.follow(flow.submit_login(*LOA2, auth.req_id))
    assert b'id="consent-form"' in r.data
    assert auth.req_id is not None
    writes.keys.clear()
    r = flow.submit_consent(auth.req_id)
    assert r.status_code == 302 and "code=" in r.location
    assert writes.pending() == [("delete", pending_request(auth.req_id))]


def test_a_new_request_is_written_on_first_use_of_its_id_as_it_was_then(
        request_record: tuple[Provider, str, AuthorizationRequest]) -> None:
    p, _, req = request_record
    pending = PendingRequest.new(p, req)
    req.consented = True  # a change after it became pending is not what was pending
    assert pending.stored_key() is None
    req_id = pending.id
    assert pending.id == req_id  # written once, the same id after
    assert pending.stored_key() == pending_request(req_id)
    stored = AuthorizationRequest(**p.ephemeral.get(pending_request(req_id)))
    assert stored == replace(req, consented=False)


def test_a_kept_request_is_rewritten_only_when_changed(
        request_record: tuple[Provider, str, AuthorizationRequest]) -> None:
    p, req_id, req = request_record
    assert PendingRequest.kept(p, req_id).id == req_id
    assert p.ephemeral.get(pending_request(req_id))["consented"] is False
    changed = PendingRequest.kept(p, req_id, changed=replace(req, consented=True))
    assert changed.stored_key() == pending_request(req_id)
    assert p.ephemeral.get(pending_request(req_id))["consented"] is False  # not yet
    assert changed.id == req_id
    assert p.ephemeral.get(pending_request(req_id))["consented"] is True


def test_an_oversized_request_is_refused_before_any_screen(
        request_record: tuple[Provider, str, AuthorizationRequest]) -> None:
    p, _, req = request_record
    huge = replace(req, state="s" * 9000)
    with pytest.raises(InvalidRequest, match="too large"):
        PendingRequest.new(p, huge)
