"""The login service's settings: one frozen object, read from ``EID_`` variables.

Every value has an embedded default, so ``eid serve`` runs from a fresh clone
with nothing configured (memory store, SQLite file under ``./instance``,
fixture identities and demo portals). ``EID_DATABASE_URL`` moves the durable
store and the registry to PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eid.datafiles import fixture_path
from eid.errors import ConfigurationError
from eid.oidc.keystore import CLOCK_SKEW, RELOAD_INTERVAL
from eid.storage.postgres_url import is_postgres_url

__all__ = ["LocalPortal", "Settings"]


@dataclass(frozen=True, slots=True)
class LocalPortal:
    """A portal started beside the service (``eid up``), on whatever port it was given.

    Its client's registered URIs are these (RFC 6749 §3.1.2.2 exact match: a callback
    on another port than the one in ``clients.json`` would be refused otherwise).
    """

    client_id: str
    redirect_uri: str
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None

    def __post_init__(self) -> None:
        uris = (self.redirect_uri, *self.post_logout_redirect_uris,
                *((self.backchannel_logout_uri,) if self.backchannel_logout_uri else ()))
        for uri in uris:
            target = urlsplit(uri)
            # RFC 6749 §3.1.2: an absolute URI without a fragment.
            if target.scheme not in ("http", "https") or not target.hostname or target.fragment:
                raise ConfigurationError(f"not a redirect URI: {uri!r}", code="invalid_setting")


@dataclass(frozen=True, slots=True)
class Settings:
    """What the service needs to start; validated at construction."""

    issuer: str = "http://127.0.0.1:5000"
    instance: Path = Path("instance")
    redis_url: str | None = None
    registry: Path | None = None  # a generated registry (SQLite) or identities JSON
    test_mode: bool = False
    clients_file: Path = field(default_factory=lambda: fixture_path("clients.json"))
    test_clients_file: Path = field(default_factory=lambda: fixture_path("test-clients.json"))
    code_ttl: int = 60  # RFC 6749 §4.1.2: short-lived, 10 minutes at most
    access_token_ttl: int = 600
    id_token_ttl: int = 600
    refresh_ttl: int = 30 * 86_400
    session_ttl: int = 8 * 3600
    request_ttl: int = 900  # a pending authorization request (login + consent screens)
    # An SD-JWT credential (OpenID4VCI, service.credential_issuer): long enough for a
    # dossier to be forwarded between offices and checked at each, short enough that a
    # verifier offline (who cannot fetch the status list) never trusts it for long.
    credential_ttl: int = 14 * 86_400
    lockout_after: int = 5  # as the national VNeID app: it locks after 5 wrong passwords
    lockout_seconds: int = 900
    durable_path: str | None = None  # ":memory:" in tests; default instance/eid.sqlite
    # PostgreSQL for the durable store and the registry, shared by every instance
    # (postgresql://user:password@host/db; needs the postgres extra). Kept out of repr():
    # it may carry a password.
    database_url: str | None = field(default=None, repr=False)
    # Where registry lookups go when not to database_url: read replicas, e.g. libpq's
    # postgresql://replica1,replica2/eid?load_balance_hosts=random (the registry is
    # read-only for the service; the durable store needs the primary).
    registry_database_url: str | None = field(default=None, repr=False)
    # Server-provided DPoP nonces (RFC 9449 §8, §9): "fapi2" demands them from FAPI 2.0
    # clients only (FAPI 2.0 does not require nonces, but they bound a proof's lifetime
    # by the server's clock, not the client's), "always" from every client, "off" never.
    dpop_nonce: str = "fapi2"
    # The mock login service (`eid mock`, the pytest fixture eid_mock_service): the
    # identity picker, the /__mock__ test-control API, silent logins as ``persona``.
    mock: bool = False
    persona: str | None = None  # ID number: every login is silently this citizen
    # More redirect URIs for the test client, so a portal under test can use its own callback.
    test_redirect_uris: tuple[str, ...] = ()
    # The demo portal `eid up` starts beside the service: its client's URIs follow its port.
    local_portal: LocalPortal | None = None
    # How often a running service re-reads its signing keys (a rotation by `eid keys
    # rotate` in another process shows within this); see eid.oidc.keystore.
    key_reload_interval: float = RELOAD_INTERVAL
    # Dynamic client registration (RFC 7591 §3): open in test mode; otherwise only with
    # this initial access token (RFC 7591 §1.2), and off when there is none.
    registration_token: str | None = field(default=None, repr=False)
    # The scopes a client registered with the token may get (test mode: every known scope).
    registration_scopes: frozenset[str] = frozenset({"openid"})
    # Deliver queued back-channel logouts from a thread of this process (service.backchannel);
    # off only where a test drives the sender itself.
    backchannel_thread: bool = True
    # Seconds between checks for new data-access log entries to sign a checkpoint of
    # (service.transparency); 0: only on demand (a proof asked for an unsigned size).
    checkpoint_interval: float = 10.0
    # Where the worker processes of `eid serve` (gunicorn) share their metrics
    # (prometheus_client's multiprocess mode); None: one process, metrics in memory.
    metrics_dir: Path | None = None
    # The Bearer token /metrics asks of the operators' scraper; None: no /metrics at all.
    metrics_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        # OIDC Discovery §3: https, no query or fragment (loopback http for development).
        if parts.scheme not in ("https", "http") or not parts.hostname \
                or parts.query or parts.fragment or self.issuer.endswith("/") \
                or (parts.scheme == "http" and not loopback):
            raise ConfigurationError(f"EID_ISSUER is not a valid issuer URL: {self.issuer!r}",
                                     code="invalid_issuer")
        for name in ("code_ttl", "access_token_ttl", "id_token_ttl", "refresh_ttl",
                     "session_ttl", "request_ttl", "credential_ttl", "lockout_after",
                     "lockout_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive", code="invalid_setting")
        if self.dpop_nonce not in ("off", "fapi2", "always"):
            raise ConfigurationError("dpop_nonce is off, fapi2 or always", code="invalid_setting")
        if not 0 <= self.checkpoint_interval <= 3600:  # also refuses nan
            raise ConfigurationError("checkpoint_interval must be 0 to 3600 seconds",
                                     code="invalid_setting")
        if not self.key_reload_interval >= 0:
            raise ConfigurationError("key_reload_interval must not be negative",
                                     code="invalid_setting")
        # The mock is test mode plus test controls; never a way to weaken the real service.
        if self.mock and not self.test_mode:
            raise ConfigurationError("the mock needs test mode", code="invalid_setting")
        if (self.persona is not None or self.test_redirect_uris) and not self.mock:
            raise ConfigurationError("a persona and extra redirect URIs are only for the mock",
                                     code="invalid_setting")
        if self.registration_token is not None and len(self.registration_token) < 32:
            raise ConfigurationError("EID_REGISTRATION_TOKEN needs at least 32 characters",
                                     code="invalid_setting")
        if self.metrics_token is not None and len(self.metrics_token) < 32:
            raise ConfigurationError("EID_METRICS_TOKEN needs at least 32 characters",
                                     code="invalid_setting")
        if "openid" not in self.registration_scopes:
            raise ConfigurationError("EID_REGISTRATION_SCOPES must include openid",
                                     code="invalid_setting")
        for name in ("database_url", "registry_database_url"):
            url = getattr(self, name)
            if url is not None and not is_postgres_url(url):
                raise ConfigurationError(f"EID_{name.upper()} is not a postgresql:// URL",
                                         code="invalid_setting")
        if self.database_url is not None and self.durable_path is not None:
            raise ConfigurationError("a database URL and a durable-store file exclude"
                                     " each other", code="invalid_setting")
        for uri in self.test_redirect_uris:
            target = urlsplit(uri)
            # RFC 6749 §3.1.2: an absolute URI without a fragment.
            if target.scheme not in ("http", "https") or not target.hostname or target.fragment:
                raise ConfigurationError(f"not a redirect URI: {uri!r}", code="invalid_setting")

    @property
    def key_retention(self) -> float:
        """How long a retired signing key stays published: until everything it signed
        has expired. ID tokens live ``id_token_ttl``, but a portal may send one as the
        ``id_token_hint`` of a logout for as long as the session lasts (OIDC
        RP-Initiated Logout 1.0 §2 accepts expired ones); a worker that has not reloaded
        may sign with the key for ``key_reload_interval`` more. A credential must verify
        until its ``exp`` (``credential_ttl``)."""
        return (max(self.id_token_ttl, self.access_token_ttl, self.session_ttl,
                    self.credential_ttl)
                + self.key_reload_interval + CLOCK_SKEW)

    @property
    def registration_open(self) -> bool:
        """Dynamic registration without an initial access token (test mode and the mock)."""
        return self.test_mode

    @property
    def registration_enabled(self) -> bool:
        """Whether ``/register`` exists (and discovery names it)."""
        return self.test_mode or self.registration_token is not None

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when the issuer is served over https."""
        return self.issuer.startswith("https://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``EID_ISSUER``, ``EID_INSTANCE``, ``EID_REDIS_URL``,
        ``EID_REGISTRY``, ``EID_TEST_MODE``, ``EID_DPOP_NONCE``, ``EID_REGISTRATION_TOKEN``,
        ``EID_REGISTRATION_SCOPES`` (space-separated), ``EID_METRICS_TOKEN``,
        ``EID_DATABASE_URL`` and ``EID_REGISTRY_DATABASE_URL``, then ``overrides``.

        :raises ConfigurationError: a value is invalid.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if env.get("EID_ISSUER"):
            values["issuer"] = env["EID_ISSUER"].rstrip("/")
        if env.get("EID_INSTANCE"):
            values["instance"] = Path(env["EID_INSTANCE"])
        if env.get("EID_REDIS_URL"):
            values["redis_url"] = env["EID_REDIS_URL"]
        if env.get("EID_DATABASE_URL"):
            values["database_url"] = env["EID_DATABASE_URL"]
        if env.get("EID_REGISTRY_DATABASE_URL"):
            values["registry_database_url"] = env["EID_REGISTRY_DATABASE_URL"]
        if env.get("EID_REGISTRY"):
            values["registry"] = Path(env["EID_REGISTRY"])
        values["test_mode"] = env.get("EID_TEST_MODE", "") in ("1", "true", "yes")
        if env.get("EID_DPOP_NONCE"):
            values["dpop_nonce"] = env["EID_DPOP_NONCE"]
        if env.get("EID_REGISTRATION_TOKEN"):
            values["registration_token"] = env["EID_REGISTRATION_TOKEN"]
        if env.get("EID_METRICS_TOKEN"):
            values["metrics_token"] = env["EID_METRICS_TOKEN"]
        if env.get("EID_REGISTRATION_SCOPES"):
            values["registration_scopes"] = frozenset(env["EID_REGISTRATION_SCOPES"].split())
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)
