"""Registered clients (the procedure portals) and their authentication.

Clients are data (``fixtures/clients.json``), loaded and validated by
:func:`load_clients`. Redirect URIs are matched exactly (RFC 9700 §4.1.3;
OAuth 2.1 §2.3.1). Client secrets are high-entropy random strings, so they
are stored as a salted SHA-256 (a slow KDF protects low-entropy passwords,
not 256-bit secrets, and would make every token request slow) and compared in
constant time.

Metadata names follow RFC 7591 §2 and its extensions: ``jwks`` / ``jwks_uri``
(the client's public keys, checked as the verifier checks any key set),
``require_pushed_authorization_requests`` (RFC 9126 §6),
``dpop_bound_access_tokens`` (RFC 9449 §5.2), and ``profile: "fapi2"`` for a
client held to the FAPI 2.0 Security Profile (§5.3.2: PAR, PKCE S256,
``private_key_jwt`` and DPoP-bound tokens, all implied and none optional).

Purpose binding (RFC 9396 §10): ``authorization_details_types`` (only
``vn_procedure``; implied by a non-empty ``procedures``) and ``procedures``, the
codes of the procedure list (``fixtures/portal-procedures.json``) the portal
serves. ``match: true`` lets a fapi2 client ask ``POST /api/match`` yes/no questions.

Signed and encrypted responses (OIDC Registration §2): ``userinfo_signed_response_alg``,
``id_token_encrypted_response_alg``/``_enc`` and ``userinfo_encrypted_response_alg``/``_enc``.
``_enc`` without its ``_alg`` is refused and defaults to ``A128CBC-HS256`` as §2 says
(FAPI 2.0 and Singpass clients register ``A256GCM`` explicitly). The key encrypted to
is one of the client's ``jwks`` (checked at load by :func:`eid.oidc.jwe.encryption_jwk`);
a ``jwks_uri`` is not fetched for encryption keys, so a client that encrypts registers
``jwks``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from eid.datafiles import read_json
from eid.errors import ConfigurationError, DataError, InvalidClient, KeySourceError
from eid.oidc.jwe import encryption_jwk
from eid.verify import KeySet

__all__ = [
    "AUTHORIZATION_DETAILS_TYPES",
    "AUTH_METHODS",
    "ENCRYPTION_ALG_VALUES",
    "ENCRYPTION_ENC_VALUES",
    "SECRET_AUTH_METHODS",
    "Client",
    "ClientRegistry",
    "client_from_metadata",
    "hash_client_secret",
    "load_clients",
    "secret_matches",
]

AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
AUTH_METHODS: Final[tuple[AuthMethod, ...]] = (
    "client_secret_basic", "client_secret_post", "private_key_jwt")
#: The methods a client secret serves; a client registered for one needs ``secret_hash``.
SECRET_AUTH_METHODS: Final[tuple[AuthMethod, ...]] = ("client_secret_basic", "client_secret_post")
Profile = Literal["oidc", "fapi2"]
_ID_TOKEN_ALGS: Final = ("ES256", "RS256")
_MIN_SECRET: Final = 16
#: JWE key management a client may register (RSA-OAEP with SHA-1 and RSA1_5 are not offered).
ENCRYPTION_ALG_VALUES: Final = (
    "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP-256")
#: JWE content encryption a client may register.
ENCRYPTION_ENC_VALUES: Final = ("A256GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512")
#: RFC 9396 §10: the authorization details types this provider defines (see
#: :mod:`eid.oidc.authorization_details`).
AUTHORIZATION_DETAILS_TYPES: Final = ("vn_procedure",)
#: OIDC Registration §2: ``*_encrypted_response_enc`` when only ``_alg`` is registered.
_DEFAULT_ENC: Final = "A128CBC-HS256"


def hash_client_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``sha256$<salt hex>$<digest hex>`` of a client secret."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha256(salt + secret.encode("utf-8")).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to ``stored`` (:func:`hash_client_secret`), in constant time."""
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
    secret_hash: str | None  # None: the client authenticates with its key only
    auth_methods: tuple[AuthMethod, ...] = SECRET_AUTH_METHODS
    subject_type: Literal["pairwise", "public"] = "pairwise"
    id_token_alg: str = "ES256"  # noqa: S105 - an algorithm name, not a secret
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    test_only: bool = False
    #: Public keys for ``private_key_jwt`` (RFC 7591 §2 ``jwks``; at most one of the two).
    jwks: Mapping[str, Any] | None = field(default=None, repr=False)
    jwks_uri: str | None = None
    require_par: bool = False
    dpop_bound: bool = False
    profile: Profile = "oidc"
    #: OIDC Registration §2: userinfo answered as a JWT signed with this alg (None: JSON).
    userinfo_signed_alg: str | None = None
    #: ``(alg, enc)`` to encrypt ID tokens / userinfo to a key of ``jwks`` (None: not encrypted).
    id_token_encryption: tuple[str, str] | None = None
    userinfo_encryption: tuple[str, str] | None = None
    #: RFC 9396 §10 and the procedure codes this portal may name in ``vn_procedure``.
    authorization_details_types: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()
    #: May ask ``POST /api/match`` (fapi2 clients only).
    match: bool = False

    def check_secret(self, secret: str) -> bool:
        """Whether ``secret`` is this client's secret (constant time; ``False`` without one)."""
        return secret_matches(secret, self.secret_hash or _DUMMY_HASH) and \
            self.secret_hash is not None

    @property
    def fapi2(self) -> bool:
        """Held to the FAPI 2.0 Security Profile."""
        return self.profile == "fapi2"

    def label(self, lang: str) -> str:
        """The client's display name in ``lang`` (Vietnamese when missing)."""
        return self.name.get(lang) or self.name["vi"]


# A real hash computed once, so that authenticating an unknown client costs
# what authenticating a known one does (no timing oracle for client ids).
_DUMMY_HASH: Final = hash_client_secret(secrets.token_urlsafe(32))


class ClientRegistry:
    """The registered clients, by ``client_id``.

    ``fallback`` finds a client this registry does not hold (the dynamically
    registered clients, read through the durable store so that every worker and
    instance sees a registration made on another). The registry's own clients
    (the clients files) take precedence: a fallback never shadows one.
    """

    def __init__(self, clients: Mapping[str, Client],
                 fallback: Callable[[str], Client | None] | None = None) -> None:
        self._clients = dict(clients)
        self._fallback = fallback

    def get(self, client_id: object) -> Client | None:
        """The client, or ``None`` for an unknown (or non-string) id."""
        if not isinstance(client_id, str):
            return None
        client = self._clients.get(client_id)
        if client is None and self._fallback is not None:
            found = self._fallback(client_id)
            client = found if found is not None and found.client_id == client_id else None
        return client

    def holds(self, client_id: str) -> bool:
        """Whether ``client_id`` is one of the registry's own (file) clients."""
        return client_id in self._clients

    def with_fallback(self, fallback: Callable[[str], Client | None]) -> ClientRegistry:
        """This registry, looking up unknown ids with ``fallback``."""
        return ClientRegistry(self._clients, fallback)

    def authenticate(self, client_id: object, secret: object, method: AuthMethod) -> Client:
        """The client whose id and secret these are, by ``method``.

        :raises InvalidClient: unknown client, wrong secret, or a method the
            client is not registered for (RFC 6749 §5.2).
        """
        client = self.get(client_id)
        stored = client.secret_hash if client is not None else None
        # The dummy keeps the cost equal for unknown clients and keyless ones.
        ok = secret_matches(secret if isinstance(secret, str) else "", stored or _DUMMY_HASH)
        if client is None or stored is None or not ok or not isinstance(secret, str):
            raise InvalidClient("client authentication failed")
        if method not in client.auth_methods:
            raise InvalidClient(f"client is not registered for {method}")
        return client

    def with_clients(self, *extra: Client) -> ClientRegistry:
        """A registry with ``extra`` clients added (the test client in test mode)."""
        return ClientRegistry({**self._clients, **{c.client_id: c for c in extra}},
                              self._fallback)

    def __iter__(self) -> Iterator[Client]:
        """The registry's own clients (not those only its fallback finds)."""
        return iter(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)


def _check_redirect_uri(uri: object, where: str, source: str) -> str:
    if not isinstance(uri, str):
        raise DataError("redirect URI must be a string", source=source, field=where)
    try:
        parts = urlsplit(uri)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise DataError(f"not a URI: {uri!r}", source=source, field=where) from exc
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DataError(f"not an absolute http(s) URI: {uri!r}", source=source, field=where)
    if parts.scheme == "http" and not loopback:
        raise DataError(f"must use https (http only on loopback): {uri!r}",
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


def _at(where: str | None, name: str) -> str:
    return f"{where}.{name}" if where else name


def _string_list(raw: dict[str, Any], name: str, where: str | None, source: str,
                 default: list[str] | None = None) -> list[str]:
    value = raw.get(name, default)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{name} must be a list of strings", source=source,
                        field=_at(where, name))
    return value


def _client(raw: Any, i: int, source: str, known_scopes: frozenset[str] | None,
            known_procedures: frozenset[str] | None) -> Client:
    if not isinstance(raw, dict):
        raise DataError("must be an object", source=source, field=f"clients[{i}]")
    cid = raw.get("client_id")
    if not isinstance(cid, str) or not cid:
        raise DataError("client_id is required", source=source, field=f"clients[{i}].client_id")
    return client_from_metadata(raw, source=source, known_scopes=known_scopes,
                                where=f"clients[{cid}]", known_procedures=known_procedures)


def client_from_metadata(raw: dict[str, Any], *, source: str,
                         known_scopes: frozenset[str] | None, where: str | None = None,
                         known_procedures: frozenset[str] | None = None) -> Client:
    """Build and validate one client from its metadata (the clients file's form).

    The one validation of client metadata: the clients file and dynamic
    registration (:mod:`eid.oidc.registration`) both come through here.
    ``where`` prefixes the field a :class:`DataError` names (``clients[id]`` in
    a file; ``None``: the bare member name, as registration reports it).
    ``known_procedures``: the procedure codes a client may register (``None``: any).

    :raises DataError: a member is missing or invalid; ``field`` names it.
    """
    cid = raw.get("client_id")
    if not isinstance(cid, str) or not cid:
        raise DataError("client_id is required", source=source, field=_at(where, "client_id"))
    uris = raw.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise DataError("at least one redirect URI", source=source,
                        field=_at(where, "redirect_uris"))
    scopes = _string_list(raw, "scopes", where, source, [])
    if "openid" not in scopes:
        raise DataError("scopes must be a list including 'openid'",
                        source=source, field=_at(where, "scopes"))
    unknown = known_scopes is not None and set(scopes) - known_scopes
    if unknown:
        raise DataError(f"unknown scopes {sorted(unknown)}", source=source,
                        field=_at(where, "scopes"))
    profile = raw.get("profile", "oidc")
    if profile not in ("oidc", "fapi2"):
        raise DataError("profile is oidc or fapi2", source=source, field=_at(where, "profile"))
    default_methods = ("private_key_jwt",) if profile == "fapi2" else SECRET_AUTH_METHODS
    named = _string_list(raw, "token_endpoint_auth_methods", where, source,
                         list(default_methods))
    methods = tuple(m for m in AUTH_METHODS if m in named)
    if not named or len(methods) != len(set(named)):
        raise DataError(f"auth methods must be among {AUTH_METHODS}",
                        source=source, field=_at(where, "token_endpoint_auth_methods"))
    secret_hash = _secret_hash(raw, where, source, needed=any(
        m in SECRET_AUTH_METHODS for m in methods))
    jwks, jwks_uri = _keys(raw, where, source, needed="private_key_jwt" in methods)
    require_par = _flag(raw, "require_pushed_authorization_requests", where, source)
    dpop_bound = _flag(raw, "dpop_bound_access_tokens", where, source)
    if profile == "fapi2":
        # FAPI 2.0 Security Profile §5.3.2.1 (PAR), §5.3.2.2 (client authentication:
        # private_key_jwt here, mTLS not offered), §5.3.3.4 (sender-constrained tokens).
        if methods != ("private_key_jwt",):
            raise DataError("a fapi2 client authenticates with private_key_jwt only",
                            source=source, field=_at(where, "token_endpoint_auth_methods"))
        for name, value in (("require_pushed_authorization_requests", require_par),
                            ("dpop_bound_access_tokens", dpop_bound)):
            if value is False:
                raise DataError(f"a fapi2 client cannot turn off {name}",
                                source=source, field=_at(where, name))
        require_par = dpop_bound = True
    alg = raw.get("id_token_signed_response_alg", "ES256")
    if alg not in _ID_TOKEN_ALGS:
        raise DataError(f"ID token algorithm must be one of {_ID_TOKEN_ALGS}",
                        source=source, field=_at(where, "id_token_signed_response_alg"))
    subject_type = raw.get("subject_type", "pairwise")
    if subject_type not in ("pairwise", "public"):
        raise DataError("subject_type is pairwise or public",
                        source=source, field=_at(where, "subject_type"))
    redirect_uris = tuple(_check_redirect_uri(u, _at(where, "redirect_uris"), source) for u in uris)
    sector = raw.get("sector") or urlsplit(redirect_uris[0]).hostname or ""
    if len({urlsplit(u).hostname for u in redirect_uris}) > 1 and not raw.get("sector"):
        # OIDC Core §8.1: several hosts need an explicit sector identifier.
        raise DataError("redirect URIs on several hosts need an explicit sector",
                        source=source, field=_at(where, "sector"))
    backchannel = raw.get("backchannel_logout_uri")
    logout_uris = _string_list(raw, "post_logout_redirect_uris", where, source, [])
    encryption = _response_protection(raw, where, source, jwks, jwks_uri)
    purpose_binding = _purpose_binding(raw, where, source, known_procedures,
                                       fapi2=profile == "fapi2")
    return Client(
        client_id=cid,
        name=_labels(raw.get("client_name"), _at(where, "client_name"), source),
        purpose=_labels(raw.get("purpose"), _at(where, "purpose"), source),
        redirect_uris=redirect_uris,
        scopes=frozenset(scopes),
        sector=str(sector),
        secret_hash=secret_hash,
        auth_methods=methods,
        subject_type=subject_type,
        id_token_alg=alg,
        post_logout_redirect_uris=tuple(
            _check_redirect_uri(u, _at(where, "post_logout_redirect_uris"), source)
            for u in logout_uris),
        backchannel_logout_uri=(
            _check_redirect_uri(backchannel, _at(where, "backchannel_logout_uri"), source)
            if backchannel is not None else None),
        test_only=bool(raw.get("test_only", False)),
        jwks=jwks,
        jwks_uri=jwks_uri,
        require_par=bool(require_par),
        dpop_bound=bool(dpop_bound),
        profile=profile,
        **encryption,
        **purpose_binding,
    )


def _purpose_binding(raw: dict[str, Any], where: str | None, source: str,
                     known: frozenset[str] | None, *, fapi2: bool) -> dict[str, Any]:
    """``procedures``, ``authorization_details_types`` (RFC 9396 §10) and ``match``."""
    procedures = _string_list(raw, "procedures", where, source, [])
    unknown = sorted(set(procedures) - known) if known is not None else []
    if unknown or len(set(procedures)) != len(procedures):
        raise DataError(f"procedures must be distinct known codes (unknown: {unknown})",
                        source=source, field=_at(where, "procedures"))
    types = _string_list(raw, "authorization_details_types", where, source,
                         list(AUTHORIZATION_DETAILS_TYPES) if procedures else [])
    if set(types) - set(AUTHORIZATION_DETAILS_TYPES) or (procedures and not types):
        raise DataError(f"authorization_details_types must be among "
                        f"{AUTHORIZATION_DETAILS_TYPES}", source=source,
                        field=_at(where, "authorization_details_types"))
    match = _flag(raw, "match", where, source)
    if match and not fapi2:
        # Yes/no checks on anyone's data: only for clients held to FAPI 2.0.
        raise DataError("match is for fapi2 clients only", source=source,
                        field=_at(where, "match"))
    return {"procedures": tuple(procedures), "match": bool(match),
            "authorization_details_types": tuple(dict.fromkeys(types))}


def _secret_hash(raw: dict[str, Any], where: str | None, source: str, *, needed: bool
                 ) -> str | None:
    secret_hash = raw.get("secret_hash")
    secret = raw.get("client_secret")
    if isinstance(secret, str) and len(secret) >= _MIN_SECRET and secret_hash is None:
        # Test clients publish their secret on purpose; it is hashed on load all the same.
        secret_hash = hash_client_secret(secret)
    if secret_hash is None and not needed:
        return None
    if not isinstance(secret_hash, str) or not secret_hash.startswith("sha256$"):
        raise DataError("needs secret_hash (sha256$salt$digest)",
                        source=source, field=_at(where, "secret_hash"))
    return secret_hash


def _keys(raw: dict[str, Any], where: str | None, source: str, *, needed: bool
          ) -> tuple[dict[str, Any] | None, str | None]:
    jwks, jwks_uri = raw.get("jwks"), raw.get("jwks_uri")
    if jwks is not None and jwks_uri is not None:
        # RFC 7591 §2: the two MUST NOT both be present.
        raise DataError("jwks and jwks_uri are exclusive", source=source, field=_at(where, "jwks"))
    if jwks is None and jwks_uri is None:
        if needed:
            raise DataError("private_key_jwt needs jwks or jwks_uri",
                            source=source, field=_at(where, "jwks"))
        return None, None
    if jwks_uri is not None:
        return None, _check_redirect_uri(jwks_uri, _at(where, "jwks_uri"), source)
    if not isinstance(jwks, dict):
        raise DataError("jwks must be a JWK Set object", source=source, field=_at(where, "jwks"))
    # Encryption keys (use "enc", OIDC Registration §2) are the encryption's to check
    # (_response_protection); the rest must be keys the verifier trusts.
    members = jwks.get("keys")
    members = members if isinstance(members, list) else []
    enc = [k for k in members if isinstance(k, dict) and k.get("use") == "enc"]
    signing = {**jwks, "keys": [k for k in members if k not in enc]} if enc else jwks
    try:
        keys = KeySet.from_jwks(signing)  # the verifier's own rules: no private members, sizes
    except KeySourceError as exc:
        raise DataError(f"unusable key set: {exc.message}", source=source,
                        field=_at(where, "jwks"), code="bad_jwks") from exc
    # The verifier skips a key it will not trust (a weak RSA modulus, an unknown
    # type): registered, such a key would silently never verify anything.
    if keys.skipped or not (len(keys) or enc):
        why = "; ".join(f"{k}: {v}" for k, v in keys.skipped.items()) or "no keys"
        raise DataError(f"unusable key set: {why}", source=source,
                        field=_at(where, "jwks"), code="bad_jwks")
    for key in enc:
        if not any(_encrypts(key, alg) for alg in ENCRYPTION_ALG_VALUES):
            raise DataError(f"encryption key {key.get('kid')!r} is unusable (a public EC, "
                            "X25519 or RSA-2048+ key)", source=source,
                            field=_at(where, "jwks"), code="bad_jwks")
    return dict(jwks), None


def _encrypts(key: dict[str, Any], alg: str) -> bool:
    try:
        encryption_jwk({"keys": [key]}, alg)  # the encryption's own rules
    except ConfigurationError:
        return False
    return True


def _response_protection(raw: dict[str, Any], where: str | None, source: str,
                         jwks: dict[str, Any] | None, jwks_uri: str | None) -> dict[str, Any]:
    """The signed/encrypted response metadata of OIDC Registration §2, as Client fields."""
    signed = raw.get("userinfo_signed_response_alg")
    if signed is not None and signed not in _ID_TOKEN_ALGS:  # never "none"
        raise DataError(f"userinfo signing algorithm must be one of {_ID_TOKEN_ALGS}",
                        source=source, field=_at(where, "userinfo_signed_response_alg"))
    out: dict[str, Any] = {"userinfo_signed_alg": signed}
    for target in ("id_token", "userinfo"):
        alg_name, enc_name = (f"{target}_encrypted_response_alg",
                              f"{target}_encrypted_response_enc")
        alg, enc = raw.get(alg_name), raw.get(enc_name)
        if alg is None:
            if enc is not None:  # §2: "... MUST also be provided"
                raise DataError(f"{enc_name} needs {alg_name}",
                                source=source, field=_at(where, enc_name))
            out[f"{target}_encryption"] = None
            continue
        if alg not in ENCRYPTION_ALG_VALUES:
            raise DataError(f"{alg_name} must be one of {ENCRYPTION_ALG_VALUES}",
                            source=source, field=_at(where, alg_name))
        enc = _DEFAULT_ENC if enc is None else enc
        if enc not in ENCRYPTION_ENC_VALUES:
            raise DataError(f"{enc_name} must be one of {ENCRYPTION_ENC_VALUES}",
                            source=source, field=_at(where, enc_name))
        if jwks is None:
            why = "jwks_uri is not fetched for encryption keys" if jwks_uri else "no jwks"
            raise DataError(f"{alg_name} needs an encryption key in jwks ({why})",
                            source=source, field=_at(where, "jwks"))
        try:
            encryption_jwk(jwks, alg)
        except ConfigurationError as exc:
            raise DataError(f"{alg_name}: {exc.message}", source=source,
                            field=_at(where, alg_name), code="bad_jwks") from exc
        out[f"{target}_encryption"] = (alg, enc)
    return out


def _flag(raw: dict[str, Any], name: str, where: str | None, source: str) -> bool | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, bool):
        raise DataError(f"{name} is true or false", source=source, field=_at(where, name))
    return value


def load_clients(path: str | Path, *, known_scopes: frozenset[str] | None = None,
                 known_procedures: frozenset[str] | None = None) -> ClientRegistry:
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
        client = _client(raw, i, source, known_scopes, known_procedures)
        if client.client_id in clients:
            raise DataError("duplicate client_id", source=source, field=client.client_id)
        clients[client.client_id] = client
    return ClientRegistry(clients)
