"""RelyingParty against the login service: encrypted ID tokens, signed and encrypted userinfo.

The service runs in-process (Flask's test client behind the RP's HttpClient seam),
in test mode, so ``X-Eid-Test-Identity`` signs a fixture citizen in. Clients come
from ``fixtures/test-clients.json`` (``eid-encrypt-test-client`` encrypts both and
signs userinfo ES256), plus a signed-userinfo-only variant derived from it here.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from flask import Flask

from eid.errors import ConfigurationError, LoginError, TokenError
from eid.oidc import RelyingParty
from eid.oidc.http import HttpResponse
from eid.oidc.jwe import encrypt_jwe
from eid.signing import SigningKey, load_signing_keys, sign_token
from eid.verify import DecryptionKeys
from eid.verify._codec import b64url_decode
from eid.verify.nested import decrypt_nested_jwt
from service import create_app
from service.config import Settings
from service.provider import Provider
from tests.servers import signing_keys_template

ROOT: Final = Path(__file__).resolve().parents[2]
KEYS: Final = json.loads((ROOT / "fixtures/keys/test-encryption-keys.json").read_text())
CLIENTS: Final = json.loads((ROOT / "fixtures/test-clients.json").read_text())
#: The encrypting client's private keys (its public halves are in the fixture client).
PORTAL_KEYS: Final = {"keys": [k for k in KEYS["keys"]
                               if k["kid"] in ("ec-p256-enc", "rsa-2048-enc")]}
CITIZEN: Final = "074078000101"  # Nguyễn Văn Hùng, level 2 (fixtures/README.md)
ENCRYPT: Final = ("eid-encrypt-test-client", "eid-encrypt-test-secret",
                  "http://127.0.0.1:9999/enc-cb")
SIGNED: Final = ("eid-signed-userinfo-client", "eid-encrypt-test-secret",
                 "http://127.0.0.1:9999/enc-cb")
PLAIN: Final = ("eid-test-client", "eid-test-secret", "http://127.0.0.1:9999/cb")
FAPI_ENCRYPT: Final = "eid-fapi-encrypt-client"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    tmp = tmp_path_factory.mktemp("rp-encryption")
    clients = list(CLIENTS["clients"])
    signed = dict(next(c for c in clients if c["client_id"] == ENCRYPT[0]))
    for name in ("id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
                 "userinfo_encrypted_response_alg", "jwks"):
        signed.pop(name)
    clients.append({**signed, "client_id": SIGNED[0]})
    # FAPI 2.0 (PAR, private_key_jwt, DPoP) with encryption, as Singpass asks.
    fapi = dict(next(c for c in clients if c["client_id"] == "eid-fapi-test-client"))
    encrypting = next(c for c in clients if c["client_id"] == ENCRYPT[0])
    clients.append({**fapi, "client_id": FAPI_ENCRYPT, "jwks": {"keys": [
        *fapi["jwks"]["keys"], *encrypting["jwks"]["keys"]]}, **{
        k: encrypting[k] for k in ("id_token_encrypted_response_alg",
                                   "id_token_encrypted_response_enc",
                                   "userinfo_signed_response_alg",
                                   "userinfo_encrypted_response_alg")}})
    (tmp / "test-clients.json").write_text(json.dumps({"clients": clients}), encoding="utf-8")
    settings = Settings(instance=tmp, test_mode=True, test_clients_file=tmp / "test-clients.json",
                        durable_path=str(signing_keys_template(tmp / "eid.sqlite")))
    return create_app({"TESTING": True, "EID_SETTINGS": settings})


Rewrite = Callable[[HttpResponse], HttpResponse]


class InProcess:
    """The RP's HttpClient, served by the app; ``rewrite`` alters the userinfo answer."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.rewrite: Rewrite | None = None
        self.last: dict[str, HttpResponse] = {}  # by path, as the provider sent it

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        parts = urllib.parse.urlsplit(url)
        r = self.client.open(parts.path, method=method, query_string=parts.query,
                             headers=headers or {}, data=form)
        resp = HttpResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.data)
        self.last[parts.path] = resp
        if parts.path == "/userinfo" and self.rewrite is not None:
            return self.rewrite(resp)
        return resp


@pytest.fixture
def http(app: Flask) -> Iterator[InProcess]:
    yield InProcess(app)


def _rp(http: InProcess, client: tuple[str, str, str], **kw: Any) -> RelyingParty:
    cid, secret, redirect = client
    return RelyingParty(issuer="http://127.0.0.1:5000", client_id=cid, client_secret=secret,
                        redirect_uri=redirect, http=http, **kw)


def _login(http: InProcess, rp: RelyingParty) -> Any:
    url, pending = rp.start_login()
    parts = urllib.parse.urlsplit(url)
    r = http.client.get(parts.path, query_string=parts.query,
                        headers={"X-Eid-Test-Identity": CITIZEN})
    assert r.status_code == 302, r.get_data(as_text=True)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.location).query))
    return rp.complete_login(params, pending)


def test_a_full_login_decrypts_the_id_token_and_userinfo(http: InProcess) -> None:
    result = _login(http, _rp(http, ENCRYPT, decryption_keys=PORTAL_KEYS,
                              require_encrypted_userinfo=True))
    assert http.last["/token"].json()["id_token"].count(".") == 4
    assert http.last["/userinfo"].body.count(b".") == 4
    assert result.id_token_claims["aud"] == ENCRYPT[0]
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"
    assert result.userinfo["sub"] == result.subject


def test_a_fapi2_login_with_par_dpop_private_key_jwt_and_jwe(http: InProcess) -> None:
    key = load_signing_keys(ROOT / "fixtures/keys/test-signing-keys.json")["ec-p256-b"]
    rp = RelyingParty(issuer="http://127.0.0.1:5000", client_id=FAPI_ENCRYPT,
                      private_key=key, redirect_uri="http://127.0.0.1:9999/fapi-cb",
                      use_par=True, dpop=True, decryption_keys=PORTAL_KEYS,
                      require_encrypted_userinfo=True, http=http)
    result = _login(http, rp)
    assert http.last["/token"].json()["token_type"] == "DPoP"
    assert http.last["/token"].json()["id_token"].count(".") == 4
    assert result.userinfo["name"] == "Nguyễn Văn Hùng"


def test_a_full_login_verifies_signed_userinfo(http: InProcess) -> None:
    result = _login(http, _rp(http, SIGNED, require_signed_userinfo=True))
    assert result.tokens.id_token.count(".") == 2
    assert (result.userinfo["aud"], result.userinfo["sub"]) == (SIGNED[0], result.subject)


def test_a_plain_client_still_gets_json_userinfo(http: InProcess) -> None:
    assert _login(http, _rp(http, PLAIN)).userinfo["name"] == "Nguyễn Văn Hùng"


def test_keys_given_as_a_parsed_set_work_too(http: InProcess) -> None:
    rp = _rp(http, ENCRYPT, decryption_keys=DecryptionKeys.from_jwks(PORTAL_KEYS))
    assert _login(http, rp).userinfo["sub"]


def test_a_plain_id_token_is_refused_when_encryption_is_expected(http: InProcess) -> None:
    # Downgrade protection: the default once decryption keys are configured.
    with pytest.raises(LoginError) as exc:
        _login(http, _rp(http, PLAIN, decryption_keys=PORTAL_KEYS))
    assert exc.value.code == "id_token_not_encrypted"


def test_a_plain_id_token_passes_when_the_portal_opts_out(http: InProcess) -> None:
    rp = _rp(http, PLAIN, decryption_keys=PORTAL_KEYS, require_encrypted_id_token=False)
    assert _login(http, rp).userinfo["name"] == "Nguyễn Văn Hùng"


def test_an_encrypted_id_token_without_keys_is_refused(http: InProcess) -> None:
    with pytest.raises(TokenError) as exc:
        _login(http, _rp(http, ENCRYPT))
    assert exc.value.code == "jwe_not_supported"


@pytest.mark.parametrize(("client", "kw", "code"), [
    (PLAIN, {"require_signed_userinfo": True}, "userinfo_not_signed"),
    (SIGNED, {"require_encrypted_userinfo": True, "decryption_keys": PORTAL_KEYS,
              "require_encrypted_id_token": False}, "userinfo_not_encrypted"),
])
def test_weaker_userinfo_than_required_is_refused(
        http: InProcess, client: tuple[str, str, str], kw: dict[str, Any], code: str) -> None:
    with pytest.raises(LoginError) as exc:
        _login(http, _rp(http, client, **kw))
    assert exc.value.code == code


def test_requiring_encryption_without_keys_is_a_configuration_error(http: InProcess) -> None:
    with pytest.raises(ConfigurationError):
        _rp(http, ENCRYPT, require_encrypted_id_token=True)


# --- tampered userinfo ---------------------------------------------------------------
def _claims(jwt: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(b64url_decode(jwt.split(".")[1], "payload"))
    return claims


def _provider_key(app: Flask) -> SigningKey:
    p: Provider = app.extensions["eid"]
    return p.keys.signing_key("ES256")


def _resign(key: SigningKey, change: dict[str, Any]) -> Rewrite:
    def rewrite(resp: HttpResponse) -> HttpResponse:
        jwt = resp.body.decode()
        inner = decrypt_nested_jwt(jwt, PORTAL_KEYS) if jwt.count(".") == 4 else jwt
        claims = {k: v for k, v in {**_claims(inner), **change}.items() if v is not None}
        out = sign_token(claims, key)
        if jwt.count(".") == 4:
            out = encrypt_jwe(out, _public("rsa-2048-enc"), alg="RSA-OAEP-256", cty="JWT")
        return HttpResponse(resp.status, resp.headers, out.encode())
    return rewrite


def _public(kid: str) -> dict[str, Any]:
    jwk = next(k for k in KEYS["keys"] if k["kid"] == kid)
    return {n: v for n, v in jwk.items() if n not in ("d", "p", "q", "dp", "dq", "qi")}


@pytest.mark.parametrize("client", [SIGNED, ENCRYPT], ids=["signed", "signed+encrypted"])
@pytest.mark.parametrize(("change", "error", "code"), [
    ({"aud": "another-portal"}, TokenError, "invalid_audience"),
    ({"aud": ["another-portal"]}, TokenError, "invalid_audience"),
    ({"aud": None}, TokenError, "missing_claim"),
    ({"iss": "https://evil.example"}, TokenError, "invalid_issuer"),
    ({"iss": None}, TokenError, "missing_claim"),
    ({"sub": "someone-else"}, LoginError, "userinfo_sub_mismatch"),
])
def test_tampered_signed_userinfo_is_refused(
        app: Flask, http: InProcess, client: tuple[str, str, str], change: dict[str, Any],
        error: type[Exception], code: str) -> None:
    http.rewrite = _resign(_provider_key(app), change)
    with pytest.raises(error) as exc:
        _login(http, _rp(http, client, decryption_keys=PORTAL_KEYS,
                         require_encrypted_id_token=False))
    assert getattr(exc.value, "code", None) == code


@pytest.mark.parametrize("client", [SIGNED, ENCRYPT], ids=["signed", "signed+encrypted"])
def test_userinfo_signed_by_another_key_under_the_providers_kid_is_refused(
        app: Flask, http: InProcess, client: tuple[str, str, str],
        signing_keys: dict[str, SigningKey]) -> None:
    impostor = signing_keys["ec-p256"]
    forged = SigningKey(_provider_key(app).kid, impostor.kty, impostor.alg, impostor.key,
                        impostor.public_jwk)
    http.rewrite = _resign(forged, {})
    with pytest.raises(TokenError) as exc:
        _login(http, _rp(http, client, decryption_keys=PORTAL_KEYS,
                         require_encrypted_id_token=False))
    assert exc.value.code == "bad_signature"


def _replace(media: str, body: Callable[[bytes], bytes]) -> Rewrite:
    return lambda r: HttpResponse(r.status, {**r.headers, "content-type": media}, body(r.body))


@pytest.mark.parametrize(("client", "rewrite", "error", "code"), [
    (PLAIN, _replace("text/html", lambda b: b), LoginError, "unexpected_content_type"),
    (SIGNED, _replace("application/json", lambda b: b), LoginError, "bad_response"),
    (PLAIN, _replace("application/jwt", lambda b: b), TokenError, "malformed"),
    # Encrypted but not signed inside: refused (Registration §2: signed then encrypted).
    (ENCRYPT, _replace("application/jwt", lambda b: encrypt_jwe(
        json.dumps(_claims(decrypt_nested_jwt(b.decode(), PORTAL_KEYS))),
        _public("rsa-2048-enc"), alg="RSA-OAEP-256").encode()), TokenError, "jwe_not_nested"),
])
def test_userinfo_of_the_wrong_shape_is_refused(
        http: InProcess, client: tuple[str, str, str], rewrite: Rewrite,
        error: type[Exception], code: str) -> None:
    http.rewrite = rewrite
    with pytest.raises(error) as exc:
        _login(http, _rp(http, client, decryption_keys=PORTAL_KEYS,
                         require_encrypted_id_token=False))
    assert getattr(exc.value, "code", None) == code


def test_the_id_token_kept_is_the_signed_one_for_id_token_hint(http: InProcess) -> None:
    # OIDC Core §3.1.2.1: an encrypted ID token is decrypted before use as id_token_hint.
    rp = _rp(http, ENCRYPT, decryption_keys=PORTAL_KEYS)
    result = _login(http, rp)
    assert result.tokens.id_token.count(".") == 2
    url = urllib.parse.urlsplit(rp.logout_url(id_token_hint=result.tokens.id_token))
    r = http.client.get(url.path, query_string=url.query)
    assert r.status_code == 200 and b'id="signed-out"' in r.data, r.get_data(as_text=True)


def test_a_refresh_decrypts_the_new_id_token(http: InProcess) -> None:
    rp = _rp(http, ENCRYPT, decryption_keys=PORTAL_KEYS,
             scopes=("openid", "profile", "offline_access"))
    result = _login(http, rp)
    assert result.tokens.refresh_token
    fresh = rp.refresh(result.tokens.refresh_token, subject=result.subject)
    assert http.last["/token"].json()["id_token"].count(".") == 4
    assert fresh.id_token is not None and fresh.id_token.count(".") == 2
