"""``EID_DECRYPTION_KEYS``: the portal's private JWKS, for encrypted ID tokens."""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path
from typing import Any, Final

import pytest
from flask import Flask

from eid.errors import ConfigurationError, DataFileMissing
from eid.oidc.http import HttpResponse
from eid.oidc.jwe import encrypt_jwe
from eid.signing import SigningKey
from flask_eid import EidLogin, current_citizen, login_required
from tests.oidc.fake_provider import CLIENT_ID, ISSUER, SECRET, FakeProvider

ROOT: Final = Path(__file__).resolve().parents[2]
KEYS_FILE: Final = ROOT / "fixtures/keys/test-encryption-keys.json"
_EC: Final = next(k for k in json.loads(KEYS_FILE.read_text())["keys"]
                  if k["kid"] == "ec-p256-enc")
PUBLIC: Final = {k: v for k, v in _EC.items() if k != "d"}


class EncryptingProvider(FakeProvider):
    """The fake provider, encrypting its ID tokens to the portal's key when asked."""

    encrypt = True

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        resp = super().request(method, url, headers=headers, form=form)
        if not self.encrypt or not url.endswith("/token") or resp.status != 200:
            return resp
        body = json.loads(resp.body)
        body["id_token"] = encrypt_jwe(body["id_token"], PUBLIC, alg="ECDH-ES", cty="JWT")
        return HttpResponse(resp.status, resp.headers, json.dumps(body).encode())


def _app(provider: FakeProvider, keys: Any) -> Flask:
    app = Flask(__name__, root_path=str(ROOT))
    app.config.update(SECRET_KEY="test-secret-key-0123456789", EID_ISSUER=ISSUER,
                      EID_CLIENT_ID=CLIENT_ID, EID_CLIENT_SECRET=SECRET,
                      EID_REDIRECT_URI="http://127.0.0.1:5001/auth/callback",
                      EID_DECRYPTION_KEYS=keys)
    EidLogin(app, http=provider)

    @app.get("/basic")
    @login_required()
    def basic() -> str:
        citizen = current_citizen()
        return f"hello {citizen.subject if citizen else ''}"

    provider.now = time.time()
    return app


@pytest.fixture
def provider(signing_keys: dict[str, SigningKey]) -> EncryptingProvider:
    return EncryptingProvider(signing_keys["ec-p256"])


def _sign_in(app: Flask, provider: FakeProvider) -> Any:
    client = app.test_client()
    resp = client.get(client.get("/basic").headers["Location"])
    params = provider.authorize(resp.headers["Location"])
    return client, client.get("/auth/callback?" + urllib.parse.urlencode(params))


@pytest.mark.parametrize("path", [str(KEYS_FILE), "fixtures/keys/test-encryption-keys.json"])
def test_an_encrypted_id_token_signs_the_citizen_in(provider: EncryptingProvider,
                                                    path: str) -> None:
    client, resp = _sign_in(_app(provider, path), provider)
    assert resp.status_code == 302 and resp.headers["Location"] == "/basic"
    assert client.get("/basic").text == "hello pairwise-1"


def test_a_plain_id_token_is_refused_once_keys_are_configured(
        provider: EncryptingProvider) -> None:
    provider.encrypt = False
    _, resp = _sign_in(_app(provider, str(KEYS_FILE)), provider)
    assert resp.status_code >= 400
    assert "id_token_not_encrypted" in resp.text


@pytest.mark.parametrize(("content", "error"), [
    (None, DataFileMissing),
    ({"keys": [PUBLIC]}, ConfigurationError),  # a public key cannot decrypt
])
def test_unusable_key_files_fail_at_start(provider: EncryptingProvider, tmp_path: Path,
                                          content: Any, error: type[Exception]) -> None:
    path = tmp_path / "keys.json"
    if content is not None:
        path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(error):
        _app(provider, str(path))
