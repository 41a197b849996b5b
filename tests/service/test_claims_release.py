"""What reaches a portal: ID numbers only under a scope that says so (issue 10 item 3), and
claims requested through ``claims`` narrowed with the scopes at refresh (item 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.service.flow import HCM, LOA1, LOA2, Flow, csrf_of

_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "identities.json"
#: Every 12-digit personal ID number the fixture citizens hold (theirs and their relatives').
FIXTURE_ID_NUMBERS = frozenset(re.findall(r'"(\d{12})"', _FIXTURES.read_text("utf-8")))

# Person-valued claims (fixtures/scopes.json types person / person_list) and a citizen
# whose record holds each, so the claim is really released.
PERSON_CLAIMS = {
    "head, the citizen himself": ("vn_household_head", LOA2),
    "head, the father": ("vn_household_head", LOA1),
    "members": ("vn_household_members", LOA2),
    "father": ("vn_father", LOA1),
    "mother": ("vn_mother", LOA1),
    "spouse": ("vn_spouse", LOA2),
    "legal representative": ("vn_legal_representative", LOA1),
    "children": ("vn_children", LOA2),
}


def _ids_in(document: Any) -> set[str]:
    return set(re.findall(r"\d{12}", json.dumps(document))) & FIXTURE_ID_NUMBERS


def _released(flow: Flow, scope: str, claims: dict[str, Any], who: tuple[str, str]
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    auth = flow.request(scope=scope, claims=json.dumps(claims))
    flow.authorize(auth, who)
    body = flow.redeem(auth).json
    id_token = dict(flow.verify(body["id_token"], nonce="n-456"))
    info = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    return id_token, info.json


@pytest.mark.parametrize(("claim", "who"), PERSON_CLAIMS.values(), ids=PERSON_CLAIMS.keys())
def test_person_claims_requested_one_by_one_carry_no_id_number(
        flow: Flow, claim: str, who: tuple[str, str]) -> None:
    id_token, userinfo = _released(
        flow, "openid", {"id_token": {claim: None}, "userinfo": {claim: None}}, who)
    assert claim in id_token and claim in userinfo  # released, so the scan means something
    assert _ids_in(id_token) == set()
    assert _ids_in(userinfo) == set()


@pytest.mark.parametrize("scope", ["openid household", "openid family",
                                   "openid household family"])
def test_the_citizens_own_id_number_needs_the_id_number_scope(flow: Flow, scope: str) -> None:
    claims = {"id_token": {c: None for c, _ in PERSON_CLAIMS.values()}}
    id_token, userinfo = _released(flow, scope, claims, LOA2)
    assert LOA2[0] not in _ids_in(id_token) | _ids_in(userinfo)
    # The scopes promise the relatives' ID numbers (their consent descriptions say so).
    assert _ids_in(userinfo) - {LOA2[0]}


def test_with_the_id_number_scope_the_own_number_is_released(flow: Flow) -> None:
    _, userinfo = _released(flow, "openid household id_number", {}, LOA2)
    assert userinfo["vn_id_number"] == LOA2[0]
    assert userinfo["vn_household_head"]["vn_id_number"] == LOA2[0]


def test_consent_screen_says_individual_person_claims_carry_no_id_number(flow: Flow) -> None:
    auth = flow.request(scope="openid",
                        claims=json.dumps({"userinfo": {"vn_household_head": None}}))
    flow.follow(flow.start(auth))
    flow.submit_login(*LOA2, auth.req_id)
    page = flow.browser.get("/consent", query_string={"req": auth.req_id}).get_data(as_text=True)
    item = re.search(r'<li data-scope="claims">(.*?)</li>\s*</ul>', page, re.S)
    assert item is not None, page
    assert "Chủ hộ" in item.group(1)
    assert "không kèm số định danh" in item.group(1)


# --- item 8: narrowing at refresh ---------------------------------------------------
def _refresh(flow: Flow, token: str, **extra: str) -> Any:
    return flow.token({"grant_type": "refresh_token", "refresh_token": token, **extra})


def test_narrowing_at_refresh_narrows_claims_requested_through_claims(flow: Flow) -> None:
    auth = flow.request(scope="openid profile residence offline_access", claims=json.dumps({
        "id_token": {"name": None, "vn_permanent_residence": None},
        "userinfo": {"vn_permanent_residence": None}}))
    flow.authorize(auth)
    first = flow.redeem(auth).json
    assert "vn_permanent_residence" in flow.verify(first["id_token"], nonce="n-456")
    narrower = _refresh(flow, first["refresh_token"], scope="openid profile offline_access")
    assert narrower.status_code == 200, narrower.json
    id_token = flow.verify(narrower.json["id_token"])
    assert "vn_permanent_residence" not in id_token
    assert id_token["name"]  # still granted
    info = flow.api.get("/userinfo",
                        headers={"Authorization": f"Bearer {narrower.json['access_token']}"})
    assert "vn_permanent_residence" not in info.json
    assert info.json["name"]


def test_individually_consented_claims_survive_refresh_without_scope(flow: Flow) -> None:
    auth = flow.request(scope="openid offline_access",
                        claims=json.dumps({"id_token": {"birthdate": None}}))
    flow.authorize(auth)
    first = flow.redeem(auth).json
    again = _refresh(flow, first["refresh_token"])
    assert flow.verify(again.json["id_token"])["birthdate"] == "1978-03-15"


def _csrf(flow: Flow) -> str:
    return csrf_of(flow.browser.get("/my-data").get_data(as_text=True))


_ = HCM  # the default portal of every request above
