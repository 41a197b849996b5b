"""RFC 7591 metadata onto the one client validation, and the registered clients' lookup."""

from __future__ import annotations

from typing import Any

import pytest

from eid.errors import InvalidClientMetadata, InvalidRedirectUri
from eid.oidc.registration import (
    RegisteredClients,
    RegistrationPolicy,
    registered_client,
    registered_metadata,
)
from eid.storage import RegisteredClient, SqliteDurableStore

KNOWN = frozenset({"openid", "profile", "offline_access"})
POLICY = RegistrationPolicy(KNOWN, frozenset({"openid", "profile"}))
BASE: dict[str, Any] = {"redirect_uris": ["https://portal.example.vn/cb"],
                        "client_name": "Cổng", "client_name#en": "Portal"}


def test_defaults_of_rfc_7591_section_2() -> None:
    assert registered_metadata(BASE, POLICY) == {
        **BASE, "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"], "response_types": ["code"], "scope": "openid"}


def test_language_tags_become_the_labels_and_purpose_defaults_to_not_stated() -> None:
    client = registered_client("dcr-1", registered_metadata(BASE, POLICY), "sha256$00$00", KNOWN)
    assert dict(client.name) == {"vi": "Cổng", "en": "Portal"}
    assert "tự đăng ký" in client.purpose["vi"]
    assert client.scopes == {"openid"}


def test_scopes_beyond_the_policy_are_refused() -> None:
    with pytest.raises(InvalidClientMetadata) as err:
        registered_metadata({**BASE, "scope": "openid offline_access"}, POLICY)
    assert err.value.description.startswith("scope: not allowed")


@pytest.mark.parametrize(("member", "cls"), [("redirect_uris", InvalidRedirectUri),
                                             ("post_logout_redirect_uris", InvalidRedirectUri),
                                             ("backchannel_logout_uri", InvalidClientMetadata)])
def test_uri_errors_map_to_the_rfc_codes(member: str, cls: type[Exception]) -> None:
    value: Any = "http://portal.example.vn/x"
    raw = {**BASE, member: [value] if member.endswith("uris") else value}
    with pytest.raises(cls) as err:
        registered_client("dcr-1", registered_metadata(raw, POLICY), "sha256$00$00", KNOWN)
    assert err.value.description.startswith(f"{member}: ")  # type: ignore[attr-defined]


class _Counting(SqliteDurableStore):
    reads = 0

    def registered_client(self, client_id: str) -> RegisteredClient | None:
        self.reads += 1
        return super().registered_client(client_id)


def test_found_clients_are_cached_and_misses_are_not() -> None:
    store = _Counting()
    clients = RegisteredClients(store, KNOWN, max_cached=1)
    assert clients.find("dcr-1") is None
    store.add_registered_client(RegisteredClient(
        "dcr-1", registered_metadata(BASE, POLICY), "sha256$00$00", "sha256$00$00", 1.0))
    first = clients.find("dcr-1")
    assert first is not None and clients.find("dcr-1") is first
    assert store.reads == 2  # one miss, one read; the second find came from the cache
    store.add_registered_client(RegisteredClient(
        "dcr-2", registered_metadata(BASE, POLICY), "sha256$00$00", "sha256$00$00", 1.0))
    assert clients.find("dcr-2") is not None
    assert clients.find("dcr-1") is not None
    assert store.reads == 4  # max_cached=1: dcr-2 pushed dcr-1 out
