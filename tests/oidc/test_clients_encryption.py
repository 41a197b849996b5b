"""Client metadata for signed and encrypted responses (OIDC Registration §2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest

from eid.errors import DataError, InvalidClientMetadata
from eid.oidc.clients import hash_client_secret, load_clients
from eid.oidc.registration import RegistrationPolicy, registered_client, registered_metadata

ROOT: Final = Path(__file__).resolve().parents[2]
_DOC: Final = json.loads((ROOT / "fixtures/test-clients.json").read_text(encoding="utf-8"))
#: The fixture's encrypting client: ES256-signed userinfo, ID token and userinfo encrypted.
ENCRYPTING: Final = next(c for c in _DOC["clients"]
                         if c["client_id"] == "eid-encrypt-test-client")
_SIGNING_ONLY_JWKS: Final = next(c for c in _DOC["clients"]
                                 if c["client_id"] == "eid-fapi-test-client")["jwks"]


def _load(tmp_path: Path, **changes: Any) -> Any:
    raw = {**ENCRYPTING, **changes}
    raw = {k: v for k, v in raw.items() if v is not None}
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"clients": [raw]}), encoding="utf-8")
    client = load_clients(path).get(raw["client_id"])
    assert client is not None
    return client


def test_the_fixture_client_registers_signing_and_encryption(tmp_path: Path) -> None:
    client = _load(tmp_path)
    assert client.userinfo_signed_alg == "ES256"
    assert client.id_token_encryption == ("ECDH-ES+A256KW", "A256GCM")
    # Registration §2: _enc defaults to A128CBC-HS256 when only _alg is registered.
    assert client.userinfo_encryption == ("RSA-OAEP-256", "A128CBC-HS256")


def test_a_client_without_the_metadata_gets_json_and_plain_tokens(tmp_path: Path) -> None:
    client = _load(tmp_path, userinfo_signed_response_alg=None, jwks=None,
                   id_token_encrypted_response_alg=None, id_token_encrypted_response_enc=None,
                   userinfo_encrypted_response_alg=None)
    assert (client.userinfo_signed_alg, client.id_token_encryption,
            client.userinfo_encryption) == (None, None, None)


@pytest.mark.parametrize(("changes", "field"), [
    ({"userinfo_signed_response_alg": "none"}, "userinfo_signed_response_alg"),
    ({"userinfo_signed_response_alg": "HS256"}, "userinfo_signed_response_alg"),
    ({"userinfo_signed_response_alg": ["ES256"]}, "userinfo_signed_response_alg"),
    ({"id_token_encrypted_response_alg": "RSA1_5"}, "id_token_encrypted_response_alg"),
    ({"id_token_encrypted_response_alg": "RSA-OAEP"}, "id_token_encrypted_response_alg"),
    ({"id_token_encrypted_response_alg": "dir"}, "id_token_encrypted_response_alg"),
    ({"userinfo_encrypted_response_alg": 1}, "userinfo_encrypted_response_alg"),
    ({"id_token_encrypted_response_enc": "A192GCM"}, "id_token_encrypted_response_enc"),
    ({"userinfo_encrypted_response_enc": "none"}, "userinfo_encrypted_response_enc"),
    # Registration §2: an _enc without its _alg.
    ({"id_token_encrypted_response_alg": None}, "id_token_encrypted_response_enc"),
    ({"userinfo_encrypted_response_alg": None, "userinfo_encrypted_response_enc": "A256GCM"},
     "userinfo_encrypted_response_enc"),
    # No key to encrypt to.
    ({"jwks": None}, "jwks"),
    ({"jwks": None, "jwks_uri": "https://portal.example.vn/jwks"}, "jwks"),
    ({"jwks": _SIGNING_ONLY_JWKS}, "id_token_encrypted_response_alg"),
    ({"jwks": {"keys": [ENCRYPTING["jwks"]["keys"][0]]}}, "userinfo_encrypted_response_alg"),
])
def test_invalid_encryption_metadata_is_refused_naming_the_field(
        tmp_path: Path, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as exc:
        _load(tmp_path, **changes)
    assert exc.value.field == f"clients[eid-encrypt-test-client].{field}"


@pytest.mark.parametrize("key", [
    {**ENCRYPTING["jwks"]["keys"][0], "d": "UIWkMroBsce1BUeKVn49hykJ9BV9AQU1uUIK5VQLns8"},
    {**ENCRYPTING["jwks"]["keys"][0], "crv": "P-999"},
    {"kty": "oct", "k": "c2VjcmV0", "use": "enc"},
])
def test_an_unusable_encryption_key_is_refused_even_unused(tmp_path: Path,
                                                           key: dict[str, Any]) -> None:
    jwks = {"keys": [*_SIGNING_ONLY_JWKS["keys"], key]}
    with pytest.raises(DataError) as exc:
        _load(tmp_path, jwks=jwks, id_token_encrypted_response_alg=None,
              id_token_encrypted_response_enc=None, userinfo_encrypted_response_alg=None)
    assert exc.value.field == "clients[eid-encrypt-test-client].jwks"


def test_signing_and_encryption_keys_share_one_jwks(tmp_path: Path) -> None:
    jwks = {"keys": [*_SIGNING_ONLY_JWKS["keys"], *ENCRYPTING["jwks"]["keys"]]}
    client = _load(tmp_path, jwks=jwks, token_endpoint_auth_methods=["private_key_jwt"])
    assert client.id_token_encryption == ("ECDH-ES+A256KW", "A256GCM")


def _register(**changes: Any) -> Any:
    scopes = frozenset(ENCRYPTING["scopes"])
    body = {k: ENCRYPTING[k] for k in (
        "redirect_uris", "jwks", "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc", "userinfo_signed_response_alg",
        "userinfo_encrypted_response_alg")}
    body.update(client_name="Cổng thử", scope="openid profile", **changes)
    meta = registered_metadata(body, RegistrationPolicy(scopes, scopes))
    return registered_client("reg-1", meta, hash_client_secret("s" * 32), scopes)


def test_a_registered_client_gets_its_encryption_metadata() -> None:
    client = _register()
    assert (client.userinfo_signed_alg, client.id_token_encryption, client.userinfo_encryption
            ) == ("ES256", ("ECDH-ES+A256KW", "A256GCM"), ("RSA-OAEP-256", "A128CBC-HS256"))


def test_registered_encryption_metadata_is_refused_naming_the_member() -> None:
    with pytest.raises(InvalidClientMetadata) as exc:
        _register(id_token_encrypted_response_alg="RSA1_5")
    assert "id_token_encrypted_response_alg" in exc.value.message
