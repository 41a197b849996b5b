"""Every release of a citizen's data writes exactly one data-access log entry, before the
response leaves; a release whose entry cannot be written releases nothing (issue 14)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from eid.audit import canonical_bytes
from eid.storage.records import AccessEntry
from service.provider import Provider
from tests.service.flow import HCM, LOA2, Flow, csrf_of

CITIZEN = LOA2[0]
OFFLINE = "openid profile address offline_access"
#: One claim requested for the ID token (OIDC Core §5.5): a release beyond the subject.
ID_TOKEN_CLAIMS = json.dumps({"id_token": {"birthdate": None}})


def _p(flow: Flow) -> Provider:
    value: Provider = flow.app.extensions["eid"]
    return value


def _tokens(flow: Flow, scope: str = OFFLINE, **extra: str) -> dict[str, Any]:
    auth = flow.request(scope=scope, **extra)
    flow.authorize(auth)
    r = flow.redeem(auth)
    assert r.status_code == 200, r.get_data(as_text=True)
    body: dict[str, Any] = r.json or {}
    return body


def _userinfo(flow: Flow, body: dict[str, Any]) -> TestResponse:
    return flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})


def _introspect(flow: Flow, token: str) -> TestResponse:
    headers, form = flow.client_auth()
    return flow.api.post("/introspect", data={"token": token, **form}, headers=headers)


def _refresh(flow: Flow, body: dict[str, Any]) -> TestResponse:
    return flow.token({"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})


def _revoke(flow: Flow, _body: dict[str, Any]) -> TestResponse:
    html = flow.browser.get("/my-data").get_data(as_text=True)
    return flow.browser.post("/my-data/revoke", data={"csrf_token": csrf_of(html),
                                                       "client_id": HCM.client_id})


def _code(flow: Flow, claims: str | None) -> dict[str, Any]:
    auth = flow.request(scope=OFFLINE, **({"claims": claims} if claims else {}))
    flow.authorize(auth)
    return {"auth": auth}


def _tokens_for(flow: Flow, claims: str | None) -> dict[str, Any]:
    return _tokens(flow, **({"claims": claims} if claims else {}))


@dataclass(frozen=True)
class Path:
    """A release path: what it records, and the release itself after its set-up."""

    action: str
    attributes: tuple[str, ...]
    release: Callable[[Flow, dict[str, Any]], TestResponse]
    claims: str | None = None
    set_up: Callable[[Flow, str | None], dict[str, Any]] = _tokens_for


PATHS = {
    "userinfo": Path("userinfo", ("address", "birthdate", "gender", "name", "sub"),
                     _userinfo),
    "id token at the token endpoint": Path(
        "id_token", ("birthdate",), lambda flow, ctx: flow.redeem(ctx["auth"]),
        ID_TOKEN_CLAIMS, _code),
    "id token at refresh": Path("id_token", ("birthdate",), _refresh, ID_TOKEN_CLAIMS),
    "introspection of an access token": Path(
        "introspection", ("sub",), lambda flow, b: _introspect(flow, b["access_token"])),
    "introspection of a refresh token": Path(
        "introspection", ("sub",), lambda flow, b: _introspect(flow, b["refresh_token"])),
    "revocation of a consent": Path("revocation", (), _revoke),
}


def _entries(p: Provider, start: int) -> list[AccessEntry]:
    return p.durable.access_entries(start, p.durable.access_size())


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_every_release_path_writes_exactly_one_entry(flow: Flow, path: Path) -> None:
    p = _p(flow)
    body = path.set_up(flow, path.claims)
    before = p.durable.access_size()
    r = path.release(flow, body)
    assert r.status_code in (200, 302), r.get_data(as_text=True)
    entries = _entries(p, before)
    assert [(e.action, e.attributes) for e in entries] == [(path.action, path.attributes)]
    entry = entries[0]
    assert (entry.citizen, entry.client_id) == (CITIZEN, HCM.client_id)
    assert entry.organisation == p.clients.get(HCM.client_id).name["vi"]  # type: ignore[union-attr]
    assert entry.purpose == p.clients.get(HCM.client_id).purpose["vi"]  # type: ignore[union-attr]
    assert entry.procedure is None  # no authorization_details: the purpose stands in
    assert entry.trace_id == r.headers["X-Request-Id"]


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_a_release_whose_entry_cannot_be_written_releases_nothing(
        flow: Flow, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _p(flow)
    body = path.set_up(flow, path.claims)
    before = p.durable.access_size()

    def broken(entry: AccessEntry) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(p.durable, "append_access", broken)
    r = path.release(flow, body)
    monkeypatch.undo()
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert p.durable.access_size() == before
    text = r.get_data(as_text=True)
    assert "temporarily_unavailable" in text
    for leaked in ("access_token", "id_token", "refresh_token", "birthdate", '"active"',
                   "Nguyễn"):
        assert leaked not in text


def test_a_refresh_that_could_not_be_logged_leaves_the_refresh_token_usable(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without undoing the rotation, the portal's retry would look like token reuse
    # (RFC 9700 §4.14.2) and revoke the whole grant over a log outage.
    p = _p(flow)
    body = _tokens(flow, claims=ID_TOKEN_CLAIMS)
    monkeypatch.setattr(p.durable, "append_access", _raise)
    assert _refresh(flow, body).status_code == 503
    monkeypatch.undo()
    again = _refresh(flow, body)
    assert again.status_code == 200, again.get_data(as_text=True)


def _raise(entry: AccessEntry) -> int:
    raise OSError("disk full")


@pytest.mark.parametrize(("what", "release"), [
    ("a token without claims beyond the subject",
     lambda flow: flow.redeem(_authorized(flow))),
    ("introspection of an unknown token", lambda flow: _introspect(flow, "not-a-token")),
    ("introspection of another client's token", None),
])
def test_answers_that_release_nothing_write_no_entry(
        flow: Flow, what: str, release: Callable[[Flow], TestResponse] | None) -> None:
    p = _p(flow)
    before = p.durable.access_size()
    if release is None:
        from tests.service.flow import NATIONAL

        auth = flow.request(NATIONAL, scope="openid")
        flow.authorize(auth)
        token = flow.redeem(auth, NATIONAL).json["access_token"]  # type: ignore[index]
        before = p.durable.access_size()
        r = _introspect(flow, token)
        assert r.json == {"active": False}
    else:
        assert release(flow).status_code == 200
    assert p.durable.access_size() == before


def _authorized(flow: Flow) -> Any:
    auth = flow.request(scope="openid profile")
    flow.authorize(auth)
    return auth


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return set()


def test_entries_hold_names_never_values(flow: Flow) -> None:
    p = _p(flow)
    scope = "openid profile address residence household family contact"
    claims = json.dumps({"id_token": {"name": None, "birthdate": None}})
    body = _tokens(flow, scope=scope + " offline_access", claims=claims)
    released = _userinfo(flow, body).json
    assert released and "vn_household_members" in released
    _introspect(flow, body["access_token"])
    _refresh(flow, body)
    # Every value that is data (names, dates, addresses, numbers, e-mail: digits, spaces,
    # "@" or Vietnamese letters), not the enum words ("child", "male") that a claim
    # name may contain, nor the pairwise sub (a hash).
    values = {v for v in _strings(released) if len(v) >= 4 and any(
        not c.isascii() or c.isdigit() or c in " @" for c in v)} - {released["sub"]}
    assert len(values) > 10
    # The portal's own registered texts (its name, its purpose) may share words with an
    # address ("Thành phố Hồ Chí Minh"); they are not citizen data, so they are blanked.
    logged = [canonical_bytes(replace(e, organisation="", purpose=None)).decode()
              for e in _entries(p, 0)]
    assert len(logged) >= 3
    for text in logged:
        for value in values:
            assert value not in text, value


def test_the_trace_id_of_a_traceparent_is_kept(app: Flask) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    r = app.test_client().get("/healthz",
                              headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert r.headers["X-Request-Id"] == trace


@pytest.mark.parametrize("header", [
    {"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},  # zero trace
    {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"},  # zero parent
    {"traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},  # version ff
    {"traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},  # uppercase
    {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"},  # v00 + more
    {"X-Request-Id": "short"},
    {"X-Request-Id": "a" * 65},
    {"X-Request-Id": "id with spaces and <b>"},
    {"X-Request-Id": "id\tid\tid\tid"},
])
def test_a_malformed_trace_header_is_replaced_by_a_fresh_id(
        app: Flask, header: dict[str, str]) -> None:
    r = app.test_client().get("/healthz", headers=header)
    assert r.status_code == 200
    echoed = r.headers["X-Request-Id"]
    assert len(echoed) == 32 and all(c in "0123456789abcdef" for c in echoed)
    assert echoed not in json.dumps(header)


def test_a_well_formed_request_id_is_echoed(app: Flask) -> None:
    r = app.test_client().get("/healthz", headers={"X-Request-Id": "portal-7f3a.42:x"})
    assert r.headers["X-Request-Id"] == "portal-7f3a.42:x"


def test_each_request_gets_its_own_id(app: Flask) -> None:
    client = app.test_client()
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_release_is_logged_and_shown_on_postgres(tmp_path: Any, postgres_url: str) -> None:
    from service import create_app
    from service.config import Settings

    app = create_app({"TESTING": True, "EID_SETTINGS": Settings(
        instance=tmp_path, database_url=postgres_url, test_mode=True,
        backchannel_thread=False)})
    flow = Flow(app)
    body = _tokens(flow, scope="openid profile")
    assert _userinfo(flow, body).status_code == 200
    p = _p(flow)
    assert [(e.action, e.citizen) for e in _entries(p, 0)] == [("userinfo", CITIZEN)]
    page = flow.browser.get("/my-data/access").get_data(as_text=True)
    assert 'data-action="userinfo"' in page


class _Granted:
    def __init__(self, procedure: object) -> None:
        self.procedure = procedure


@pytest.mark.parametrize(("grant", "expected"), [
    (_Granted("ct01"), "ct01"),  # RFC 9396 vn_procedure on the grant: recorded
    (_Granted(None), None),  # no procedure named: the client's purpose stands in
    (_Granted(""), None),
    (_Granted(["ct01"]), None),  # never anything but a code
    (object(), None),  # a grant record without procedures at all
])
def test_the_procedure_comes_from_the_grant(grant: object, expected: str | None) -> None:
    from service.audit import grant_procedure

    assert grant_procedure(grant) == expected


def test_a_release_for_a_procedure_records_it_instead_of_the_purpose(app: Flask) -> None:
    from service.audit import record_release

    p: Provider = app.extensions["eid"]
    client = p.clients.get(HCM.client_id)
    assert client is not None
    with app.test_request_context("/userinfo", headers={"X-Request-Id": "trace-for-ct01"}):
        index = record_release(p, citizen=CITIZEN, client=client, action="userinfo",
                               attributes=["name", "name", "birthdate"], procedure="ct01",
                               basis="consent:openid profile")
    [entry] = p.durable.access_entries(index, index + 1)
    assert (entry.procedure, entry.purpose) == ("ct01", None)
    assert entry.attributes == ("birthdate", "name")  # each name once, in one order
    assert entry.trace_id == "trace-for-ct01"
