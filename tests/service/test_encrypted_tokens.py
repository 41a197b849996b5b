"""Signed userinfo and signed-then-encrypted ID tokens and userinfo (OIDC Core §5.3.2, §10.2).

The encrypting client is ``eid-encrypt-test-client`` of ``fixtures/test-clients.json``;
its private keys are in ``fixtures/keys/test-encryption-keys.json``. A signed-only
variant of it is derived here from that fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest
from flask import Flask

from eid.errors import TokenError
from eid.oidc.clients import ENCRYPTION_ALG_VALUES, ENCRYPTION_ENC_VALUES, load_clients
from eid.verify import DecryptionKeys, verify_encrypted_id_token, verify_id_token
from eid.verify._codec import b64url_decode
from eid.verify.jws import verify_jws
from eid.verify.nested import decrypt_nested_jwt
from service import create_app
from service.config import Settings
from service.protected import encrypt_for
from tests.service.flow import TEST_CLIENT, Flow, Portal

ROOT: Final = Path(__file__).resolve().parents[2]
KEYS: Final = json.loads((ROOT / "fixtures/keys/test-encryption-keys.json").read_text())
CLIENTS: Final = json.loads((ROOT / "fixtures/test-clients.json").read_text())
ENCRYPT = Portal("eid-encrypt-test-client", "eid-encrypt-test-secret",
                 "http://127.0.0.1:9999/enc-cb")
SIGNED = Portal("eid-signed-userinfo-client", "eid-encrypt-test-secret",
                "http://127.0.0.1:9999/enc-cb")
PLAIN = Portal(TEST_CLIENT.client_id, TEST_CLIENT.secret, TEST_CLIENT.redirect_uri)


def _private(*kids: str) -> DecryptionKeys:
    return DecryptionKeys.from_jwks({"keys": [k for k in KEYS["keys"] if k["kid"] in kids]})


PORTAL_KEYS: Final = _private("ec-p256-enc", "rsa-2048-enc")


def _header(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(b64url_decode(token.partition(".")[0], "header"))
    return header


@pytest.fixture
def app(settings: Settings, tmp_path: Path) -> Flask:
    clients = [dict(c) for c in CLIENTS["clients"]]
    signed = dict(next(c for c in clients if c["client_id"] == ENCRYPT.client_id))
    for name in ("id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
                 "userinfo_encrypted_response_alg", "jwks"):
        signed.pop(name)
    clients.append({**signed, "client_id": SIGNED.client_id})
    path = tmp_path / "test-clients.json"
    path.write_text(json.dumps({"clients": clients}), encoding="utf-8")
    return create_app({"TESTING": True, "EID_SETTINGS": settings.with_(
        test_mode=True, test_clients_file=path)})


@pytest.fixture
def flow(app: Flask) -> Flow:
    return Flow(app)


def _login(flow: Flow, portal: Portal) -> dict[str, Any]:
    auth = flow.request(portal, scope="openid profile")
    flow.authorize(auth)
    r = flow.redeem(auth, portal)
    assert r.status_code == 200, r.get_data(as_text=True)
    body: dict[str, Any] = r.json or {}
    return body


def _userinfo(flow: Flow, access_token: str) -> tuple[str, str]:
    r = flow.api.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    return r.mimetype, r.get_data(as_text=True)


def test_the_id_token_is_signed_then_encrypted_for_the_encrypting_client(flow: Flow) -> None:
    id_token = _login(flow, ENCRYPT)["id_token"]
    header = _header(id_token)
    assert (header["alg"], header["enc"], header["cty"], header["kid"]) == (
        "ECDH-ES+A256KW", "A256GCM", "JWT", "ec-p256-enc")
    claims = verify_encrypted_id_token(
        id_token, decryption_keys=PORTAL_KEYS, issuer=flow.issuer,
        audience=ENCRYPT.client_id, jwks=flow.api.get("/jwks").json, nonce="n-456")
    assert claims["aud"] == ENCRYPT.client_id


def test_the_id_token_stays_a_plain_jws_for_other_clients(flow: Flow) -> None:
    for portal in (PLAIN, SIGNED):
        id_token = _login(flow, portal)["id_token"]
        assert id_token.count(".") == 2
        assert flow.verify(id_token, portal, nonce="n-456")["aud"] == portal.client_id


def test_userinfo_is_json_for_a_client_that_registered_nothing(flow: Flow) -> None:
    mimetype, body = _userinfo(flow, _login(flow, PLAIN)["access_token"])
    assert mimetype == "application/json"
    assert json.loads(body)["name"] == "Nguyễn Văn Hùng"


def _check_signed_userinfo(flow: Flow, jwt: str, portal: Portal, sub: str) -> None:
    header, payload = verify_jws(jwt, flow.api.get("/jwks").json)
    claims = json.loads(payload)
    assert header["alg"] == "ES256"
    # OIDC Core §5.3.2: iss and aud of a signed response; sub as in the ID token.
    assert (claims["iss"], claims["aud"], claims["sub"]) == (flow.issuer, portal.client_id, sub)
    assert claims["name"] == "Nguyễn Văn Hùng"


def test_userinfo_is_a_signed_jwt_for_a_client_that_asked(flow: Flow) -> None:
    tokens = _login(flow, SIGNED)
    mimetype, body = _userinfo(flow, tokens["access_token"])
    assert mimetype == "application/jwt" and body.count(".") == 2
    sub = flow.verify(tokens["id_token"], SIGNED, nonce="n-456")["sub"]
    _check_signed_userinfo(flow, body, SIGNED, sub)


def test_userinfo_is_signed_then_encrypted_for_the_encrypting_client(flow: Flow) -> None:
    tokens = _login(flow, ENCRYPT)
    mimetype, body = _userinfo(flow, tokens["access_token"])
    assert mimetype == "application/jwt"
    header = _header(body)
    # userinfo_encrypted_response_enc is not registered: A128CBC-HS256 (Registration §2).
    assert (header["alg"], header["enc"], header["cty"], header["kid"]) == (
        "RSA-OAEP-256", "A128CBC-HS256", "JWT", "rsa-2048-enc")
    sub = verify_encrypted_id_token(
        tokens["id_token"], decryption_keys=PORTAL_KEYS, issuer=flow.issuer,
        audience=ENCRYPT.client_id, jwks=flow.api.get("/jwks").json, nonce="n-456")["sub"]
    _check_signed_userinfo(flow, decrypt_nested_jwt(body, PORTAL_KEYS), ENCRYPT, sub)


# Another client's key under the same kid, or a set without the kid the token names.
_IMPOSTOR: Final = {**next(k for k in KEYS["keys"] if k["kid"] == "ec-p256-enc-b"),
                    "kid": "ec-p256-enc", "alg": "ECDH-ES+A256KW"}


@pytest.mark.parametrize(("keys", "code"), [
    (DecryptionKeys.from_jwks({"keys": [_IMPOSTOR]}), "jwe_decryption_failed"),
    (_private("ec-p384-enc", "x25519-enc", "rsa-2048-enc"), "jwe_key_not_found"),
])
def test_another_clients_key_cannot_decrypt_the_id_token(
        flow: Flow, keys: DecryptionKeys, code: str) -> None:
    id_token = _login(flow, ENCRYPT)["id_token"]
    with pytest.raises(TokenError) as exc:
        decrypt_nested_jwt(id_token, keys)
    assert exc.value.code == code


def test_the_inner_id_token_verifies_with_the_providers_jwks_only(flow: Flow) -> None:
    inner = decrypt_nested_jwt(_login(flow, ENCRYPT)["id_token"], PORTAL_KEYS)
    claims = verify_id_token(inner, issuer=flow.issuer, audience=ENCRYPT.client_id,
                             jwks=flow.api.get("/jwks").json, nonce="n-456")
    assert claims["iss"] == flow.issuer


def test_discovery_advertises_exactly_the_supported_encryption(flow: Flow) -> None:
    meta = flow.api.get("/.well-known/openid-configuration").json or {}
    assert meta["id_token_encryption_alg_values_supported"] == list(ENCRYPTION_ALG_VALUES)
    assert meta["userinfo_encryption_alg_values_supported"] == list(ENCRYPTION_ALG_VALUES)
    assert meta["id_token_encryption_enc_values_supported"] == list(ENCRYPTION_ENC_VALUES)
    assert meta["userinfo_encryption_enc_values_supported"] == list(ENCRYPTION_ENC_VALUES)
    assert meta["userinfo_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert "RSA-OAEP" not in ENCRYPTION_ALG_VALUES and "RSA1_5" not in ENCRYPTION_ALG_VALUES


@pytest.mark.parametrize("enc", ENCRYPTION_ENC_VALUES)
@pytest.mark.parametrize("alg", ENCRYPTION_ALG_VALUES)
def test_every_advertised_pair_encrypts_what_a_portal_decrypts(alg: str, enc: str) -> None:
    client = load_clients(ROOT / "fixtures/test-clients.json").get(ENCRYPT.client_id)
    assert client is not None
    token = encrypt_for(client, (alg, enc), "e30.e30.sig")
    assert _header(token)["alg"] == alg and _header(token)["enc"] == enc
    assert decrypt_nested_jwt(token, PORTAL_KEYS) == "e30.e30.sig"
