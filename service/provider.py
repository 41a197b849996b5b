"""The provider's state, built once per app and kept in ``app.extensions["eid"]``.

Everything here comes from ``eid``: stores, keys, clients, the population
registry and the scope catalogue. Views reach it through :func:`provider`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from eid.errors import ConfigurationError, StorageError
from eid.oidc import ClientRegistry, DpopNonces, KeyStore, load_clients, pairwise_subject
from eid.oidc.clients import Client
from eid.oidc.registration import RegisteredClients, RegistrationPolicy
from eid.population.fixtures import load_citizens, load_fixture_registry
from eid.population.passwords import hash_password
from eid.population.registry import Registry
from eid.prefill.catalogue import Catalogue
from eid.prefill.loader import default_catalogue
from eid.prefill.procedures import ProcedureInfo, load_procedure_catalogue
from eid.storage import (
    DurableStore,
    EphemeralStore,
    MemoryStore,
    SqliteDurableStore,
    durable_store_from_url,
    ephemeral_store_from_url,
    make_private_folder,
)
from eid.storage.postgres_url import require_postgres
from service.config import Settings
from service.context import this_app
from service.credential_nonce import CNonces
from service.mock import MockControls

__all__ = ["OFFLINE_ACCESS", "Provider", "build_provider", "provider"]

log = logging.getLogger("eid.service")

#: OIDC Core §11: not in the catalogue (it releases no attribute) but a scope all the same.
OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True, slots=True)
class Provider:
    """The login service's collaborators."""

    settings: Settings
    ephemeral: EphemeralStore
    durable: DurableStore
    keys: KeyStore
    clients: ClientRegistry
    catalogue: Catalogue
    registry: Registry
    pairwise_secret: bytes
    session_secret: bytes
    # A real scrypt hash of a random password: an unknown ID number costs what a
    # known one does, so timing does not tell whether the number exists.
    dummy_password_hash: str
    dpop_nonces: DpopNonces  # RFC 9449 §8: the same nonces on every worker of the instance
    c_nonces: CNonces  # OpenID4VCI §7: likewise, and nothing stored until one is used
    mock: MockControls | None = None  # the mock's test controls (Settings.mock only)
    #: Dynamic client registration's rules; ``None`` when registration is off.
    registration: RegistrationPolicy | None = None
    #: The procedures a ``vn_procedure`` request may name, by code (RFC 9396).
    procedures: Mapping[str, ProcedureInfo] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    def subject(self, client: Client, id_number: str) -> str:
        """``sub`` for ``client`` (OIDC Core §8): pairwise per sector, or one public value.

        A "public" subject is still not the ID number (released only under the
        ``id_number`` scope): it is the pairwise value of the issuer's own sector.
        """
        sector = client.sector if client.subject_type == "pairwise" else self.issuer
        return pairwise_subject(self.pairwise_secret, sector, id_number)

    def now(self) -> float:
        return time.time()


#: Citizens the service's registry keeps decoded (keep_decoded): a login reads its citizen
#: at authorize, token and userinfo within seconds, and 4,096 is the citizens of the last
#: few thousand logins, far more than sign in between a login's first and last lookup.
#: SQLite's rows never change under it, so a kept citizen is not read again. PostgreSQL's
#: may (other processes write it, and a stale "active account" is not a risk to take for
#: speed): each lookup reads its row, and only a row read back unchanged is not decoded
#: again.
REGISTRY_KEEP_DECODED = 4096


def _registry(settings: Settings) -> Registry:
    # An explicit registry file wins over the database (an operator who names one means it).
    path = settings.registry
    url = settings.registry_database_url or settings.database_url
    if path is None and url is not None:
        return _postgres_registry(url, test_mode=settings.test_mode)
    if path is None:
        return load_fixture_registry(keep_decoded=REGISTRY_KEEP_DECODED)
    if path.suffix == ".json":
        return load_fixture_registry(path, keep_decoded=REGISTRY_KEEP_DECODED)
    from eid.population.sqlite import SqliteRegistry

    return SqliteRegistry(path, readonly=True, keep_decoded=REGISTRY_KEEP_DECODED)


def _postgres_registry(url: str, *, test_mode: bool) -> Registry:
    """The registry in PostgreSQL. A service with nobody to log in is misconfigured, so
    without one it refuses to start (and says how to load one); test mode, whose
    logins are the fixture citizens, loads them into an empty database instead."""
    require_postgres(url)
    from eid.population.postgres import PostgresRegistry

    load = "load one with `eid population generate --people N --database-url URL`"
    try:
        registry = PostgresRegistry(url, create=test_mode, keep_decoded=REGISTRY_KEEP_DECODED)
    except StorageError as exc:
        if exc.code != "registry_missing":
            raise
        raise ConfigurationError(f"EID_DATABASE_URL holds no registry: {load}",
                                 code="registry_missing") from exc
    if registry.is_empty():
        if not test_mode:
            registry.close()
            raise ConfigurationError(f"the registry in EID_DATABASE_URL is empty: {load}",
                                     code="registry_empty")
        try:
            registry.add_many(load_citizens())
        except StorageError as exc:
            # Another instance starting at the same moment loaded them first.
            if exc.code != "duplicate_id_number" or registry.is_empty():
                raise
        log.warning("EID_TEST_MODE=1: the fixture citizens were loaded into the empty"
                    " PostgreSQL registry")
    return registry


def _durable(settings: Settings) -> DurableStore:
    if settings.database_url is not None:
        return durable_store_from_url(settings.database_url)
    durable_path = settings.durable_path
    if durable_path is None:
        make_private_folder(settings.instance)  # it holds the private signing keys
        durable_path = str(settings.instance / "eid.sqlite")
    return SqliteDurableStore(durable_path)


def _registration_policy(settings: Settings, known: frozenset[str],
                         procedures: frozenset[str]) -> RegistrationPolicy | None:
    if not settings.registration_enabled:
        return None
    if settings.registration_open:
        # Test mode: a portal under test registers whatever it will ask for.
        return RegistrationPolicy(known, known, procedures)
    unknown = sorted(settings.registration_scopes - known)
    if unknown:
        raise ConfigurationError(f"EID_REGISTRATION_SCOPES: unknown scopes {unknown}",
                                 code="invalid_setting")
    # A procedure code only names a purpose; what a registrant may get is its scopes.
    return RegistrationPolicy(known, settings.registration_scopes, procedures)


def build_provider(settings: Settings) -> Provider:
    """Open the stores and load the data files.

    :raises EidError: a data file is invalid or a store cannot be opened.
    """
    ephemeral = ephemeral_store_from_url(settings.redis_url)
    if isinstance(ephemeral, MemoryStore):
        log.warning(
            "!!! eid login service: short-lived state (sessions, codes, lockout counters) is "
            "IN MEMORY: for development only; lost on restart and not shared between "
            "processes. Set EID_REDIS_URL for anything else. !!!")
    durable = _durable(settings)
    catalogue = default_catalogue()
    known = frozenset(catalogue.scopes) | {OFFLINE_ACCESS}
    procedures = load_procedure_catalogue()
    codes = frozenset(procedures)
    clients = load_clients(settings.clients_file, known_scopes=known, known_procedures=codes)
    local = settings.local_portal
    if local is not None:
        demo = clients.get(local.client_id)
        if demo is None:
            raise ConfigurationError(f"the local portal's client {local.client_id!r} is not "
                                     "registered", code="invalid_setting")
        clients = clients.with_clients(replace(
            demo, redirect_uris=(local.redirect_uri,),
            post_logout_redirect_uris=local.post_logout_redirect_uris,
            backchannel_logout_uri=local.backchannel_logout_uri))
    if settings.test_mode:
        test = [replace(c, redirect_uris=(*c.redirect_uris, *settings.test_redirect_uris))
                for c in load_clients(settings.test_clients_file, known_scopes=known,
                                      known_procedures=codes)]
        clients = clients.with_clients(*test)
        log.warning("EID_TEST_MODE=1: test client registered and X-Eid-Test-Identity honoured")
    # Registered clients stay usable when registration is later turned off; the
    # files' clients come first, so a registered id never shadows one.
    clients = clients.with_fallback(
        RegisteredClients(durable, known, known_procedures=codes).find)
    registry = _registry(settings)
    mock = MockControls(settings.persona, registry) if settings.mock else None
    if mock is not None:
        log.warning("MOCK login service: identity picker and /__mock__ test controls enabled%s",
                    f"; every login is silently {settings.persona}" if settings.persona else "")
    return Provider(
        registration=_registration_policy(settings, known, codes),
        procedures=procedures,
        settings=settings,
        ephemeral=ephemeral,
        durable=durable,
        keys=KeyStore(durable, retain=settings.key_retention,
                      reload_interval=settings.key_reload_interval),
        clients=clients,
        catalogue=catalogue,
        registry=registry,
        pairwise_secret=durable.instance_secret("pairwise"),
        session_secret=durable.instance_secret("session"),
        dummy_password_hash=hash_password(secrets.token_urlsafe(16)),
        dpop_nonces=DpopNonces(durable.instance_secret("dpop_nonce")),
        c_nonces=CNonces(durable.instance_secret("c_nonce")),
        mock=mock,
    )


def provider() -> Provider:
    """The current app's provider."""
    value: Provider = this_app().extensions["eid"]
    return value
