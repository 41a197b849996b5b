"""Client registry: loading, validation and authentication."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eid.errors import DataError, DataFileMissing, InvalidClient
from eid.oidc.clients import hash_client_secret, load_clients

ROOT = Path(__file__).resolve().parents[2]
# A client's public keys for private_key_jwt: the FAPI test client's, from the fixtures.
CLIENT_JWKS: dict[str, Any] = json.loads(
    (ROOT / "fixtures" / "test-clients.json").read_text(encoding="utf-8")
)["clients"][1]["jwks"]



def _weak_rsa() -> dict[str, Any]:
    # The FAPI test client's RSA modulus cut to 1024 bits: the verifier skips such a key.
    key = next(k for k in CLIENT_JWKS["keys"] if k["kty"] == "RSA")
    n = base64.urlsafe_b64decode(key["n"] + "==")[:128]
    return {**key, "n": base64.urlsafe_b64encode(n).rstrip(b"=").decode()}


WEAK_RSA = _weak_rsa()


def test_shipped_client_files_load() -> None:
    clients = load_clients(ROOT / "fixtures" / "clients.json")
    assert {c.client_id for c in clients} == {"cong-dvc-hcm", "cong-dvc-quoc-gia-demo"}
    test = load_clients(ROOT / "fixtures" / "test-clients.json")
    client = test.get("eid-test-client")
    assert client is not None
    assert client.test_only
    assert client.redirect_uris == ("http://127.0.0.1:9999/cb",)
    assert client.check_secret("eid-test-secret")
    fapi = test.get("eid-fapi-test-client")
    assert fapi is not None and fapi.fapi2
    assert (fapi.auth_methods, fapi.require_par, fapi.dpop_bound) == (
        ("private_key_jwt",), True, True)
    assert fapi.secret_hash is None and not fapi.check_secret("")


def test_a_keyless_client_never_authenticates_with_a_secret() -> None:
    fapi = load_clients(ROOT / "fixtures" / "test-clients.json")
    with pytest.raises(InvalidClient):
        fapi.authenticate("eid-fapi-test-client", "", "client_secret_basic")


@pytest.fixture
def registry() -> Any:
    return load_clients(ROOT / "fixtures" / "test-clients.json")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authenticate(registry: Any, method: Any) -> None:
    assert registry.authenticate("eid-test-client", "eid-test-secret", method).client_id == (
        "eid-test-client")


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("eid-test-client", "wrong"), ("eid-test-client", ""), ("nobody", "eid-test-secret"),
     (None, "eid-test-secret"), ("eid-test-client", None), ("eid-test-client", 5)],
)
def test_authentication_failures(registry: Any, client_id: Any, secret: Any) -> None:
    with pytest.raises(InvalidClient):
        registry.authenticate(client_id, secret, "client_secret_basic")


def test_unregistered_auth_method(tmp_path: Path) -> None:
    path = _write(tmp_path, _base(token_endpoint_auth_methods=["client_secret_post"]))
    with pytest.raises(InvalidClient):
        load_clients(path).authenticate("c1", "a-long-enough-secret-1", "client_secret_basic")


def test_secret_hash_is_salted() -> None:
    assert hash_client_secret("x") != hash_client_secret("x")


def _base(**over: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "client_id": "c1", "client_name": {"vi": "Cổng", "en": "Portal"},
        "purpose": {"vi": "Mục đích", "en": "Purpose"},
        "redirect_uris": ["https://portal.example.vn/cb"], "scopes": ["openid", "profile"],
        "client_secret": "a-long-enough-secret-1",
    }
    raw.update(over)
    return {k: v for k, v in raw.items() if v is not None}


def _write(tmp_path: Path, *clients: dict[str, Any]) -> Path:
    path = tmp_path / "clients.json"
    path.write_text(json.dumps({"clients": list(clients)}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: {**c, "client_id": ""}, "clients[0].client_id"),
        (lambda c: {**c, "redirect_uris": []}, "clients[c1].redirect_uris"),
        (lambda c: {**c, "redirect_uris": ["http://portal.example.vn/cb"]},
         "clients[c1].redirect_uris"),
        (lambda c: {**c, "redirect_uris": ["https://portal.example.vn/cb#x"]},
         "clients[c1].redirect_uris"),
        (lambda c: {**c, "redirect_uris": ["/cb"]}, "clients[c1].redirect_uris"),
        (lambda c: {**c, "redirect_uris": ["https://a.vn/cb", "https://b.vn/cb"]},
         "clients[c1].sector"),
        (lambda c: {**c, "scopes": ["profile"]}, "clients[c1].scopes"),
        (lambda c: {**c, "client_secret": "short"}, "clients[c1].secret_hash"),
        (lambda c: {**c, "token_endpoint_auth_methods": ["tls_client_auth"]},
         "clients[c1].token_endpoint_auth_methods"),
        (lambda c: {**c, "token_endpoint_auth_methods": ["private_key_jwt"]},
         "clients[c1].jwks"),
        (lambda c: {**c, "token_endpoint_auth_methods": ["private_key_jwt"],
                    "jwks": CLIENT_JWKS, "jwks_uri": "https://portal.example.vn/jwks"},
         "clients[c1].jwks"),
        (lambda c: {**c, "jwks": {"keys": [{**CLIENT_JWKS["keys"][0], "d": "AAAA"}]}},
         "clients[c1].jwks"),
        (lambda c: {**c, "jwks": []}, "clients[c1].jwks"),
        (lambda c: {**c, "jwks_uri": "http://portal.example.vn/jwks"}, "clients[c1].jwks_uri"),
        (lambda c: {**c, "profile": "fapi1"}, "clients[c1].profile"),
        (lambda c: {**c, "profile": "fapi2", "jwks": CLIENT_JWKS,
                    "token_endpoint_auth_methods": ["private_key_jwt", "client_secret_basic"]},
         "clients[c1].token_endpoint_auth_methods"),
        (lambda c: {**c, "profile": "fapi2", "jwks": CLIENT_JWKS,
                    "dpop_bound_access_tokens": False}, "clients[c1].dpop_bound_access_tokens"),
        (lambda c: {**c, "profile": "fapi2", "jwks": CLIENT_JWKS,
                    "require_pushed_authorization_requests": False},
         "clients[c1].require_pushed_authorization_requests"),
        (lambda c: {**c, "require_pushed_authorization_requests": "yes"},
         "clients[c1].require_pushed_authorization_requests"),
        (lambda c: {**c, "id_token_signed_response_alg": "HS256"},
         "clients[c1].id_token_signed_response_alg"),
        (lambda c: {**c, "subject_type": "random"}, "clients[c1].subject_type"),
        (lambda c: {**c, "client_name": {"en": "Portal"}}, "clients[c1].client_name"),
        # Wrong types and shapes once slipped past (TypeError, ValueError, or accepted):
        (lambda c: {**c, "scopes": ["openid", {"x": 1}]}, "clients[c1].scopes"),
        (lambda c: {**c, "token_endpoint_auth_methods": 5},
         "clients[c1].token_endpoint_auth_methods"),
        (lambda c: {**c, "post_logout_redirect_uris": {"https://portal.example.vn/": 1}},
         "clients[c1].post_logout_redirect_uris"),
        (lambda c: {**c, "redirect_uris": ["https://[::1/cb"]}, "clients[c1].redirect_uris"),
        (lambda c: {**c, "jwks": {"keys": [WEAK_RSA]}}, "clients[c1].jwks"),
        (lambda c: {**c, "backchannel_logout_uri": "http://portal.example.vn/bcl"},
         "clients[c1].backchannel_logout_uri"),
    ],
)
def test_invalid_clients_name_the_field(mutate: Callable[[dict[str, Any]], dict[str, Any]],
                                        field: str, tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_clients(_write(tmp_path, mutate(_base())))
    assert err.value.field == field
    assert err.value.source.endswith("clients.json")


def test_duplicate_client_ids(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_clients(_write(tmp_path, _base(), _base()))
    assert err.value.field == "c1"


def test_unknown_scopes_are_refused_when_the_catalogue_is_given(tmp_path: Path) -> None:
    path = _write(tmp_path, _base(scopes=["openid", "telepathy"]))
    with pytest.raises(DataError):
        load_clients(path, known_scopes=frozenset({"openid", "profile"}))


@pytest.mark.parametrize(("content", "code"), [("not json", "bad_json"),
                                             ("[]", "invalid_data"),
                                             ('{"clients": {}}', "invalid_data")])
def test_malformed_files(content: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(DataError) as err:
        load_clients(path)
    assert err.value.code == code
    assert not isinstance(err.value, DataFileMissing)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileMissing) as err:
        load_clients(tmp_path / "absent.json")
    assert err.value.code == "data_file_missing"


def test_sector_defaults_to_the_redirect_host(tmp_path: Path) -> None:
    client = load_clients(_write(tmp_path, _base())).get("c1")
    assert client is not None
    assert client.sector == "portal.example.vn"
