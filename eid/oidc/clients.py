"""Registered clients (the procedure portals) and their authentication.

Clients are data (``fixtures/clients.json``), loaded and validated by
:func:`load_clients`. Redirect URIs are matched exactly (RFC 9700 §4.1.3;
OAuth 2.1 §2.3.1). Client secrets are high-entropy random strings, so they
are stored as a salted SHA-256 (a slow KDF protects low-entropy passwords,
not 256-bit secrets, and would make every token request slow) and compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from eid.datafiles import read_json
from eid.errors import DataError, InvalidClient

__all__ = [
    "AUTH_METHODS",
    "Client",
    "ClientRegistry",
    "hash_client_secret",
    "load_clients",
]

AuthMethod = Literal["client_secret_basic", "client_secret_post"]
AUTH_METHODS: Final[tuple[AuthMethod, ...]] = ("client_secret_basic", "client_secret_post")
_ID_TOKEN_ALGS: Final = ("ES256", "RS256")
_MIN_SECRET: Final = 16


def hash_client_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``sha256$<salt hex>$<digest hex>`` of a client secret."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def _secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256(salt + secret.encode("utf-8", "surrogatepass")).hexdigest()
    return hmac.compare_digest(candidate, digest)


@dataclass(frozen=True, slots=True)
class Client:
    """One registered relying party."""

    client_id: str
    name: Mapping[str, str]  # {"vi": ..., "en": ...}
    purpose: Mapping[str, str]  # shown on the consent screen
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    sector: str
    secret_hash: str
    auth_methods: tuple[AuthMethod, ...] = AUTH_METHODS
    subject_type: Literal["pairwise", "public"] = "pairwise"
    id_token_alg: str = "ES256"  # noqa: S105 - an algorithm name, not a secret
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    test_only: bool = False

    def check_secret(self, secret: str) -> bool:
        """Whether ``secret`` is this client's secret (constant time)."""
        return _secret_matches(secret, self.secret_hash)

    def label(self, lang: str) -> str:
        """The client's display name in ``lang`` (Vietnamese when missing)."""
        return self.name.get(lang) or self.name["vi"]


# A real hash computed once, so that authenticating an unknown client costs
# what authenticating a known one does (no timing oracle for client ids).
_DUMMY_HASH: Final = hash_client_secret(secrets.token_urlsafe(32))


class ClientRegistry:
    """The registered clients, by ``client_id``."""

    def __init__(self, clients: Mapping[str, Client]) -> None:
        self._clients = dict(clients)

    def get(self, client_id: object) -> Client | None:
        """The client, or ``None`` for an unknown (or non-string) id."""
        return self._clients.get(client_id) if isinstance(client_id, str) else None

    def authenticate(self, client_id: object, secret: object, method: AuthMethod) -> Client:
        """The client whose id and secret these are, by ``method``.

        :raises InvalidClient: unknown client, wrong secret, or a method the
            client is not registered for (RFC 6749 §5.2).
        """
        client = self.get(client_id)
        ok = _secret_matches(secret if isinstance(secret, str) else "",
                             client.secret_hash if client else _DUMMY_HASH)
        if client is None or not ok or not isinstance(secret, str):
            raise InvalidClient("client authentication failed")
        if method not in client.auth_methods:
            raise InvalidClient(f"client is not registered for {method}")
        return client

    def with_clients(self, *extra: Client) -> ClientRegistry:
        """A registry with ``extra`` clients added (the test client in test mode)."""
        return ClientRegistry({**self._clients, **{c.client_id: c for c in extra}})

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)


def _check_redirect_uri(uri: object, where: str, source: str) -> str:
    if not isinstance(uri, str):
        raise DataError("redirect URI must be a string", source=source, field=where)
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DataError(f"not an absolute http(s) URI: {uri!r}", source=source, field=where)
    if parts.scheme == "http" and not loopback:
        raise DataError(f"redirect URIs must use https (or loopback http): {uri!r}",
                        source=source, field=where)
    if parts.fragment or "#" in uri:  # RFC 6749 §3.1.2
        raise DataError(f"redirect URI must not have a fragment: {uri!r}",
                        source=source, field=where)
    return uri


def _labels(raw: Any, where: str, source: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("vi"), str) or not raw["vi"]:
        raise DataError("needs a Vietnamese text under 'vi' (and 'en')",
                        source=source, field=where)
    return {k: str(v) for k, v in raw.items()}


def _client(raw: Any, i: int, source: str, known_scopes: frozenset[str] | None) -> Client:
    where = f"clients[{i}]"
    if not isinstance(raw, dict):
        raise DataError("must be an object", source=source, field=where)
    cid = raw.get("client_id")
    if not isinstance(cid, str) or not cid:
        raise DataError("client_id is required", source=source, field=f"{where}.client_id")
    where = f"clients[{cid}]"
    uris = raw.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise DataError("at least one redirect URI", source=source, field=f"{where}.redirect_uris")
    scopes = raw.get("scopes")
    if not isinstance(scopes, list) or "openid" not in scopes:
        raise DataError("scopes must be a list including 'openid'",
                        source=source, field=f"{where}.scopes")
    unknown = known_scopes is not None and set(scopes) - known_scopes
    if unknown:
        raise DataError(f"unknown scopes {sorted(unknown)}", source=source, field=f"{where}.scopes")
    secret_hash = raw.get("secret_hash")
    secret = raw.get("client_secret")
    if isinstance(secret, str) and len(secret) >= _MIN_SECRET and secret_hash is None:
        # Test clients publish their secret on purpose; it is hashed on load all the same.
        secret_hash = hash_client_secret(secret)
    if not isinstance(secret_hash, str) or not secret_hash.startswith("sha256$"):
        raise DataError("needs secret_hash (sha256$salt$digest)",
                        source=source, field=f"{where}.secret_hash")
    methods = tuple(raw.get("token_endpoint_auth_methods", AUTH_METHODS))
    if not methods or any(m not in AUTH_METHODS for m in methods):
        raise DataError(f"auth methods must be among {AUTH_METHODS}",
                        source=source, field=f"{where}.token_endpoint_auth_methods")
    alg = raw.get("id_token_signed_response_alg", "ES256")
    if alg not in _ID_TOKEN_ALGS:
        raise DataError(f"ID token algorithm must be one of {_ID_TOKEN_ALGS}",
                        source=source, field=f"{where}.id_token_signed_response_alg")
    subject_type = raw.get("subject_type", "pairwise")
    if subject_type not in ("pairwise", "public"):
        raise DataError("subject_type is pairwise or public",
                        source=source, field=f"{where}.subject_type")
    redirect_uris = tuple(_check_redirect_uri(u, f"{where}.redirect_uris", source) for u in uris)
    sector = raw.get("sector") or urlsplit(redirect_uris[0]).hostname or ""
    if len({urlsplit(u).hostname for u in redirect_uris}) > 1 and not raw.get("sector"):
        # OIDC Core §8.1: several hosts need an explicit sector identifier.
        raise DataError("redirect URIs on several hosts need an explicit sector",
                        source=source, field=f"{where}.sector")
    backchannel = raw.get("backchannel_logout_uri")
    return Client(
        client_id=cid,
        name=_labels(raw.get("client_name"), f"{where}.client_name", source),
        purpose=_labels(raw.get("purpose"), f"{where}.purpose", source),
        redirect_uris=redirect_uris,
        scopes=frozenset(scopes),
        sector=str(sector),
        secret_hash=secret_hash,
        auth_methods=methods,
        subject_type=subject_type,
        id_token_alg=alg,
        post_logout_redirect_uris=tuple(
            _check_redirect_uri(u, f"{where}.post_logout_redirect_uris", source)
            for u in raw.get("post_logout_redirect_uris", [])),
        backchannel_logout_uri=(_check_redirect_uri(backchannel, f"{where}.backchannel", source)
                                if backchannel else None),
        test_only=bool(raw.get("test_only", False)),
    )


def load_clients(path: str | Path, *, known_scopes: frozenset[str] | None = None
                 ) -> ClientRegistry:
    """Load and validate a clients file (``{"clients": [...]}``).

    :raises DataFileMissing: the file is absent or unreadable.
    :raises DataError: the file is not JSON (``bad_json``) or a client is invalid (naming
        the field).
    """
    source = str(path)
    doc = read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("clients"), list):
        raise DataError("expected an object with a 'clients' array", source=source)
    clients: dict[str, Client] = {}
    for i, raw in enumerate(doc["clients"]):
        client = _client(raw, i, source, known_scopes)
        if client.client_id in clients:
            raise DataError("duplicate client_id", source=source, field=client.client_id)
        clients[client.client_id] = client
    return ClientRegistry(clients)
