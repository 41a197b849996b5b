"""The relying party against an in-memory provider that checks the protocol."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from eid.errors import (
    AccessDenied,
    ConfigurationError,
    InvalidClient,
    InvalidGrant,
    LoginError,
    LoginRequired,
    OAuthError,
    TokenError,
)
from eid.oidc import PendingLogin, RelyingParty
from eid.signing import SigningKey
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, REDIRECT, SECRET, FakeProvider


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> FakeProvider:
    return FakeProvider(signing_keys["ec-p256"])


def make_rp(provider: FakeProvider, **kw: Any) -> RelyingParty:
    args: dict[str, Any] = {"issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": SECRET,
                            "redirect_uri": REDIRECT, "http": provider,
                            "clock": lambda: provider.now}
    return RelyingParty(**{**args, **kw})


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_full_login(provider: FakeProvider, method: Any) -> None:
    rp = make_rp(provider, auth_method=method)
    url, pending = rp.start_login(acr="LoA2", ui_locales="vi", login_hint="074190000001")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(ISSUER + "/authorize?")
    assert query["code_challenge_method"] == "S256"
    assert query["acr_values"] == "LoA2"
    assert query["state"] == pending.state
    assert query["nonce"] == pending.nonce
    assert "code_verifier" not in query
    result = rp.complete_login(provider.authorize(url), pending)
    assert result.subject == "pairwise-1"
    assert result.acr == "LoA2"
    assert result.claims["name"] == "Nguyễn Văn An"
    assert result.tokens.refresh_token


def test_pending_login_survives_a_session_round_trip(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    restored = PendingLogin.from_dict(pending.to_dict())
    assert rp.complete_login(provider.authorize(url), restored).subject == "pairwise-1"


@pytest.mark.parametrize("data", [None, {}, {"state": 1}, "x", {"state": "s", "nonce": "n"}])
def test_missing_pending_login(data: Any) -> None:
    with pytest.raises(LoginError) as err:
        PendingLogin.from_dict(data)
    assert err.value.code == "no_pending_login"


Mutation = Callable[[dict[str, str]], dict[str, str]]


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda p: {**p, "state": "forged"}, "state_mismatch"),
        (lambda p: {k: v for k, v in p.items() if k != "state"}, "state_mismatch"),
        (lambda p: {**p, "iss": "https://evil.test"}, "issuer_mismatch"),
        (lambda p: {k: v for k, v in p.items() if k != "iss"}, "issuer_mismatch"),
        (lambda p: {k: v for k, v in p.items() if k != "code"}, "missing_code"),
    ],
    ids=["forged-state", "no-state", "mix-up", "no-iss", "no-code"],
)
def test_callback_checks(mutate: Mutation, code: str, provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    with pytest.raises(LoginError) as err:
        rp.complete_login(mutate(provider.authorize(url)), pending)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("error", "cls"),
    [("access_denied", AccessDenied), ("login_required", LoginRequired),
     ("made_up_error", OAuthError)],
)
def test_provider_errors_come_through_with_their_code(error: str, cls: type[OAuthError],
                                                      provider: FakeProvider) -> None:
    rp = make_rp(provider)
    _, pending = rp.start_login()
    params = {"error": error, "error_description": "no", "state": pending.state, "iss": ISSUER}
    with pytest.raises(cls) as err:
        rp.complete_login(params, pending)
    assert err.value.code == error


def test_code_is_single_use(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    params = provider.authorize(url)
    rp.complete_login(params, pending)
    with pytest.raises(InvalidGrant):
        rp.complete_login(params, pending)


def test_pkce_binds_the_code_to_this_login(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    _, other = rp.start_login()
    params = provider.authorize(url)
    stolen = PendingLogin(**{**pending.to_dict(), "code_verifier": other.code_verifier})
    with pytest.raises(InvalidGrant):
        rp.complete_login(params, stolen)


@pytest.mark.parametrize(
    ("claims", "code"),
    [({"nonce": "replayed"}, "nonce_mismatch"), ({"acr": "LoA1"}, "acr_too_low"),
     ({"aud": "someone-else"}, "invalid_audience"), ({"at_hash": "AAAA"}, "at_hash_mismatch")],
)
def test_id_token_is_verified(claims: dict[str, Any], code: str, provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login(acr="LoA2")
    provider.id_claims = claims
    with pytest.raises(TokenError) as err:
        rp.complete_login(provider.authorize(url), pending)
    assert err.value.code == code


def test_userinfo_about_another_subject_is_refused(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    provider.userinfo_override = {"sub": "someone-else"}
    with pytest.raises(LoginError) as err:
        rp.complete_login(provider.authorize(url), pending)
    assert err.value.code == "userinfo_sub_mismatch"


def test_slow_login_expires(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    params = provider.authorize(url)
    provider.now += 601
    with pytest.raises(LoginError) as err:
        rp.complete_login(params, pending)
    assert err.value.code == "login_expired"


def test_discovery_must_name_the_issuer(provider: FakeProvider) -> None:
    provider.meta_override = {"issuer": "https://impostor.test"}
    with pytest.raises(LoginError) as err:
        make_rp(provider).start_login()
    assert err.value.code == "issuer_mismatch"


def test_discovery_is_cached(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    for _ in range(3):
        url, pending = rp.start_login()
        rp.complete_login(provider.authorize(url), pending)
    paths = [urllib.parse.urlsplit(u).path for _, u in provider.requests]
    assert paths.count("/.well-known/openid-configuration") == 1
    assert paths.count("/jwks") == 1


@pytest.mark.parametrize("require_par", [True, False])
def test_pushed_authorization_requests(signing_keys: dict[str, SigningKey],
                                       require_par: bool) -> None:
    provider = FakeProvider(signing_keys["ec-p256"], require_par=require_par)
    rp = make_rp(provider, use_par=not require_par)  # one way or the other, PAR is used
    url, pending = rp.start_login(acr="LoA1")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert set(query) == {"client_id", "request_uri"}
    assert rp.complete_login(provider.authorize(url, acr="LoA1"), pending).acr == "LoA1"


def test_refresh_and_revoke(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    result = rp.complete_login(provider.authorize(url), pending)
    assert result.tokens.refresh_token is not None
    fresh = rp.refresh(result.tokens.refresh_token, subject=result.subject)
    assert fresh.access_token != result.tokens.access_token
    with pytest.raises(InvalidGrant):
        rp.refresh(result.tokens.refresh_token, subject=result.subject)  # rotated away
    assert fresh.refresh_token is not None
    rp.revoke(fresh.refresh_token)
    assert provider.revoked == [fresh.refresh_token]


def test_refresh_with_an_id_token_about_someone_else(provider: FakeProvider) -> None:
    rp = make_rp(provider)
    url, pending = rp.start_login()
    result = rp.complete_login(provider.authorize(url), pending)
    assert result.tokens.refresh_token is not None
    with pytest.raises(LoginError) as err:
        rp.refresh(result.tokens.refresh_token, subject="another-subject")
    assert err.value.code == "sub_mismatch"


def test_logout_url(provider: FakeProvider) -> None:
    url = make_rp(provider).logout_url(id_token_hint="t", post_logout_redirect_uri=REDIRECT,
                                       state="s")
    assert url.startswith(ISSUER + "/logout?")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"] == "s"


@pytest.mark.parametrize(
    ("kw", "code"),
    [({"scopes": ("profile",)}, "invalid_argument"), ({"client_secret": ""}, "invalid_argument"),
     ({"auth_method": "private_key_jwt"}, "invalid_argument")],
)
def test_configuration_errors(kw: dict[str, Any], code: str, provider: FakeProvider) -> None:
    with pytest.raises(ConfigurationError) as err:
        make_rp(provider, **kw)
    assert err.value.code == code


def test_unknown_acr_is_a_configuration_error(provider: FakeProvider) -> None:
    with pytest.raises(ConfigurationError):
        make_rp(provider).start_login(acr="LoA3")


def test_private_key_jwt_assertion(provider: FakeProvider,
                                   signing_keys: dict[str, SigningKey]) -> None:
    import json

    from eid.verify import KeySet, verify_jws

    key = signing_keys["ec-p256-b"]
    rp = make_rp(provider, client_secret=None, private_key=key)
    seen: dict[str, str] = {}
    original = provider.request

    def spy(method: str, url: str, **kw: Any) -> Any:
        if url.endswith("/token"):
            seen.update(kw.get("form") or {})
        return original(method, url, **kw)

    provider.request = spy  # type: ignore[method-assign]
    url, pending = rp.start_login()
    with pytest.raises(InvalidClient):  # the fake provider registers no client keys
        rp.complete_login(provider.authorize(url), pending)
    assert seen["client_assertion_type"] == (
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    assert "client_secret" not in seen
    _, payload = verify_jws(seen["client_assertion"], KeySet.from_jwks(
        {"keys": [key.public_jwk]}))
    claims = json.loads(payload)
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == ISSUER
    assert claims["exp"] - claims["iat"] == 60
