"""RelyingParty naming the procedure of a login (RFC 9396 ``vn_procedure``)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from eid.errors import LoginError
from eid.oidc import PendingLogin
from eid.signing import SigningKey
from tests.oidc.fake_provider import FakeProvider
from tests.oidc.test_rp import make_rp


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    return FakeProvider(signing_keys["ec-p256"])


def _query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_the_procedure_is_sent_with_the_scopes_as_attributes(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login(procedure="ct01",
                                  scopes=("openid", "profile", "household", "offline_access"))
    details = json.loads(_query(url)["authorization_details"])
    assert details == [{"type": "vn_procedure", "procedure": "ct01",
                        "attributes": ["profile", "household"]}]
    result = rp.complete_login(provider.authorize(url), PendingLogin.from_dict(
        pending.to_dict()))
    assert result.procedure == "ct01"
    assert result.tokens.procedure == "ct01"


def test_without_a_procedure_nothing_is_sent(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    assert "authorization_details" not in _query(url)
    assert rp.complete_login(provider.authorize(url), pending).procedure is None


@pytest.mark.parametrize("granted", [
    [],  # the provider ignored the details
    [{"type": "vn_procedure", "procedure": "khai-sinh", "attributes": ["profile"]}],
    [{"type": "other", "procedure": "ct01"}],
])
def test_a_login_not_granted_for_the_procedure_fails(
        provider: FakeProvider, granted: list[dict[str, Any]]) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login(procedure="ct01")
    provider.granted_details = granted
    with pytest.raises(LoginError) as err:
        rp.complete_login(provider.authorize(url), pending)
    assert err.value.code == "procedure_not_granted"


def test_the_procedure_goes_into_the_pushed_request(provider: FakeProvider) -> None:
    rp = make_rp(provider, use_par=True)
    url, pending = rp.start_login(procedure="khai-sinh", scopes=("openid", "profile"))
    assert set(_query(url)) == {"client_id", "request_uri"}
    pushed = provider.pushed[_query(url)["request_uri"]]
    assert json.loads(pushed["authorization_details"])[0]["procedure"] == "khai-sinh"
    assert rp.complete_login(provider.authorize(url), pending).procedure == "khai-sinh"


@pytest.mark.parametrize("bad", [3, ["ct01"]])
def test_a_malformed_pending_procedure_is_no_pending_login(bad: Any) -> None:
    data = {"state": "s", "nonce": "n", "code_verifier": "v", "redirect_uri": "r",
            "created_at": 1.0, "procedure": bad}
    with pytest.raises(LoginError) as err:
        PendingLogin.from_dict(data)
    assert err.value.code == "no_pending_login"
