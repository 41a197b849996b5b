"""The credential endpoint with DPoP-bound access tokens (RFC 9449 §7), its entry in the
data-access log (issue 14), and the status list that follows the citizen's consent
(draft-ietf-oauth-status-list)."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time

from eid.credentials import STATUS_INVALID, STATUS_VALID, verify_status_list_token
from eid.errors import ConfigurationError
from eid.oidc import DpopKey
from eid.storage.records import AccessEntry
from eid.verify import verify_sd_jwt
from service import create_app
from service.config import Settings
from service.credential_status import REBUILD_INTERVAL
from service.provider import Provider
from tests.service.flow import HCM, LOA2, Flow, Portal, csrf_of
from tests.service.holder import CLAIMS, Holder, tokens

DPOP = Portal("eid-dpop-test-client", "eid-dpop-test-secret", "http://127.0.0.1:9999/dpop-cb")
TEST = Portal("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")
CITIZEN = LOA2[0]


def _p(flow: Flow) -> Provider:
    value: Provider = flow.app.extensions["eid"]
    return value


@pytest.fixture
def tflow(settings: Settings) -> Flow:
    app: Flask = create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        test_mode=True, dpop_nonce="off")})
    return Flow(app)


def _dpop_tokens(flow: Flow, key: DpopKey) -> dict[str, Any]:
    auth = flow.request(DPOP, scope="openid profile citizen_credential")
    flow.authorize(auth)
    raw = f"{DPOP.client_id}:{DPOP.secret}".encode()
    r = flow.api.post("/token", data={
        "grant_type": "authorization_code", "code": auth.code,
        "redirect_uri": DPOP.redirect_uri, "code_verifier": auth.verifier,
    }, headers={"Authorization": "Basic " + base64.b64encode(raw).decode(),
                "DPoP": key.proof("POST", flow.issuer + "/token")})
    assert r.status_code == 200 and r.json["token_type"] == "DPoP", r.json
    body: dict[str, Any] = r.json
    return body


# -- DPoP-bound access tokens ------------------------------------------------------------------

def test_a_dpop_bound_token_gets_a_credential_with_a_proof_for_this_request(
        tflow: Flow) -> None:
    key = DpopKey()
    access = _dpop_tokens(tflow, key)["access_token"]
    proof = key.proof("POST", tflow.issuer + "/credential", access_token=access)
    r = Holder(tflow).credential(access, int(time.time()), scheme="DPoP",
                                 headers={"DPoP": proof})
    assert r.status_code == 200, r.get_data(as_text=True)
    claims = verify_sd_jwt(r.json["credentials"][0]["credential"], issuer=tflow.issuer,
                           jwks=tflow.api.get("/jwks").json)
    assert claims["client_id"] == DPOP.client_id


def _wrong_url(key: DpopKey, flow: Flow, access: str) -> dict[str, str]:
    return {"DPoP": key.proof("POST", flow.issuer + "/userinfo", access_token=access)}


def _other_key(key: DpopKey, flow: Flow, access: str) -> dict[str, str]:
    return {"DPoP": DpopKey().proof("POST", flow.issuer + "/credential", access_token=access)}


def _no_ath(key: DpopKey, flow: Flow, access: str) -> dict[str, str]:
    return {"DPoP": key.proof("POST", flow.issuer + "/credential")}


@pytest.mark.parametrize(("scheme", "headers", "code"), [
    ("Bearer", lambda key, flow, access: {}, "invalid_token"),  # §7.2: bound, sent as bearer
    ("DPoP", lambda key, flow, access: {}, "invalid_dpop_proof"),
    ("DPoP", _wrong_url, "invalid_dpop_proof"),
    ("DPoP", _other_key, "invalid_dpop_proof"),
    ("DPoP", _no_ath, "invalid_dpop_proof"),
], ids=["as a bearer token", "without a proof", "a proof for another URL",
        "a proof by another key", "a proof without ath"])
def test_a_dpop_bound_token_is_refused_exactly_as_at_userinfo(
        tflow: Flow, scheme: str, headers: Any, code: str) -> None:
    key = DpopKey()
    access = _dpop_tokens(tflow, key)["access_token"]
    r = Holder(tflow).credential(access, int(time.time()), scheme=scheme,
                                 headers=headers(key, tflow, access))
    assert (r.status_code, r.json["error"]) == (401, code)
    assert r.headers["WWW-Authenticate"].startswith("DPoP algs=")


def test_a_bearer_token_sent_with_the_dpop_scheme_is_refused(tflow: Flow) -> None:
    access = tokens(tflow, portal=TEST)["access_token"]
    r = Holder(tflow).credential(access, int(time.time()), scheme="DPoP")
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")


# -- the data-access log -----------------------------------------------------------------------

def test_every_issuance_is_one_credential_entry_naming_the_disclosed_claims(
        flow: Flow) -> None:
    p = _p(flow)
    access = tokens(flow)["access_token"]
    before = p.durable.access_size()
    r = Holder(flow).credential(access, int(time.time()))
    assert r.status_code == 200
    entries = p.durable.access_entries(before, p.durable.access_size())
    assert [(e.action, e.attributes) for e in entries] == [("credential", CLAIMS)]
    entry = entries[0]
    assert (entry.citizen, entry.client_id) == (CITIZEN, HCM.client_id)
    assert entry.basis == "consent:address citizen_credential openid profile"
    assert entry.trace_id == r.headers["X-Request-Id"]


def test_a_refused_request_writes_no_entry(flow: Flow) -> None:
    p = _p(flow)
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    before = p.durable.access_size()
    bad = holder.body(holder.proof("made-up-nonce", int(time.time())))
    assert holder.request(access, bad).status_code == 400
    assert p.durable.access_size() == before


def test_an_issuance_whose_entry_cannot_be_written_issues_nothing(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    p = _p(flow)
    holder = Holder(flow)
    access = tokens(flow)["access_token"]
    body = holder.body(holder.proof(holder.nonce(), int(time.time())))
    before = p.durable.access_size()

    def broken(entry: AccessEntry) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(p.durable, "append_access", broken)
    r = holder.request(access, body)
    monkeypatch.undo()
    assert (r.status_code, r.json["error"]) == (503, "temporarily_unavailable")
    assert r.headers["Retry-After"]
    assert p.durable.access_size() == before
    text = r.get_data(as_text=True)
    assert "credential\"" not in text and "Nguyễn" not in text and "~" not in text


# -- status: the Token Status List follows the consent ----------------------------------------

def _status(flow: Flow, claims: dict[str, Any]) -> int:
    ref = claims["status"]["status_list"]
    assert ref["uri"] == f"{flow.issuer}/statuslists/1"
    r = flow.api.get("/statuslists/1")
    assert r.status_code == 200
    assert r.mimetype == "application/statuslist+jwt"
    status_list = verify_status_list_token(r.get_data(as_text=True),
                                           jwks=flow.api.get("/jwks").json, uri=ref["uri"],
                                           now=time.time())
    return status_list.status(ref["idx"])


def _issue(flow: Flow, access: str) -> dict[str, Any]:
    r = Holder(flow).credential(access, int(time.time()))
    assert r.status_code == 200, r.get_data(as_text=True)
    return verify_sd_jwt(r.json["credentials"][0]["credential"], issuer=flow.issuer,
                         jwks=flow.api.get("/jwks").json)


def _revoke(flow: Flow, client_id: str) -> None:
    html = flow.browser.get("/my-data").get_data(as_text=True)
    r = flow.browser.post("/my-data/revoke", data={"csrf_token": csrf_of(html),
                                                    "client_id": client_id})
    assert r.status_code == 302


def test_a_credential_is_valid_until_the_citizen_withdraws_the_portals_access(
        flow: Flow) -> None:
    with freeze_time() as clock:
        claims = _issue(flow, tokens(flow)["access_token"])
        assert _status(flow, claims) == STATUS_VALID
        _revoke(flow, HCM.client_id)
        clock.tick(REBUILD_INTERVAL)
        assert _status(flow, claims) == STATUS_INVALID


def test_withdrawing_another_portals_access_leaves_the_credential_valid(
        tflow: Flow) -> None:
    with freeze_time() as clock:
        mine = _issue(tflow, tokens(tflow)["access_token"])
        theirs = _issue(tflow, tokens(tflow, portal=TEST)["access_token"])
        _revoke(tflow, TEST.client_id)
        clock.tick(REBUILD_INTERVAL)
        assert (_status(tflow, mine), _status(tflow, theirs)) == (STATUS_VALID,
                                                                  STATUS_INVALID)


def test_a_credential_issued_after_consenting_again_is_valid(flow: Flow) -> None:
    with freeze_time() as clock:
        old = _issue(flow, tokens(flow)["access_token"])
        _revoke(flow, HCM.client_id)
        new = _issue(flow, tokens(flow)["access_token"])
        clock.tick(REBUILD_INTERVAL)
        assert (_status(flow, old), _status(flow, new)) == (STATUS_INVALID, STATUS_VALID)


def test_a_worker_rebuilds_the_list_at_most_every_interval(flow: Flow) -> None:
    with freeze_time() as clock:
        claims = _issue(flow, tokens(flow)["access_token"])
        first = flow.api.get("/statuslists/1").get_data()
        _revoke(flow, HCM.client_id)
        clock.tick(REBUILD_INTERVAL - 1)
        assert flow.api.get("/statuslists/1").get_data() == first  # served as signed
        assert _status(flow, claims) == STATUS_VALID
        clock.tick(1)
        assert _status(flow, claims) == STATUS_INVALID


def test_the_token_of_a_withdrawn_consent_gets_no_credential(flow: Flow) -> None:
    access = tokens(flow)["access_token"]
    _revoke(flow, HCM.client_id)
    r = Holder(flow).credential(access, int(time.time()))
    assert (r.status_code, r.json["error"]) == (401, "invalid_token")


def test_the_status_list_is_public_signed_and_short_lived(flow: Flow) -> None:
    r = flow.api.get("/statuslists/1")
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    uri = f"{flow.issuer}/statuslists/1"
    listed = verify_status_list_token(r.get_data(as_text=True),
                                      jwks=flow.api.get("/jwks").json, uri=uri, now=time.time())
    assert len(listed.data) * 8 >= 16_384  # never small enough to count the credentials


def test_data_that_cannot_be_carried_in_a_credential_is_denied_and_not_logged(
        flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    # issue_sd_jwt refuses what no verifier would accept (over 64 KiB or 512 Disclosures):
    # nothing was released, so nothing is logged, and the portal hears why.
    import service.credential_issuer as issuer

    def too_large(*args: object, **kwargs: object) -> str:
        raise ConfigurationError("over the verifier's size cap", code="unrepresentable_claims")

    p = _p(flow)
    access = tokens(flow)["access_token"]
    before = p.durable.access_size()
    monkeypatch.setattr(issuer, "issue_sd_jwt", too_large)
    r = Holder(flow).credential(access, int(time.time()))
    assert (r.status_code, r.json["error"]) == (400, "credential_request_denied")
    assert p.durable.access_size() == before


def _same_refusal_headers(flow: Flow, access: str) -> list[dict[str, str]]:
    return [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"},
            {"Authorization": f"Bearer {access}"},  # DPoP-bound, sent as bearer (§7.2)
            {"Authorization": f"DPoP {access}"},  # without a proof
            {"Authorization": f"DPoP {access}", "DPoP": DpopKey().proof(
                "POST", flow.issuer + "/x", access_token=access)}]


def test_userinfo_and_the_credential_endpoint_refuse_a_token_alike(tflow: Flow) -> None:
    # One code path (service.resource_access): the same token gets the same answer.
    access = _dpop_tokens(tflow, DpopKey())["access_token"]
    for headers in _same_refusal_headers(tflow, access):
        at_userinfo = tflow.api.post("/userinfo", headers=headers)
        at_credential = tflow.api.post("/credential", headers=headers, json={})
        assert at_credential.status_code == at_userinfo.status_code == 401, headers
        assert at_credential.json["error"] == at_userinfo.json["error"], headers
        assert at_credential.headers.get("WWW-Authenticate", "").split(",")[0] == \
            at_userinfo.headers.get("WWW-Authenticate", "").split(",")[0], headers
