"""Dynamic client registration (RFC 7591) and the registered clients' lookup.

A registration request's metadata (RFC 7591 §2) is first put in its
registered form (:func:`registered_metadata`: types checked, defaults filled,
unknown members dropped as §2 asks), then turned into the clients file's form
and validated by the one client validation, :func:`~eid.oidc.clients.client_from_metadata`
(:func:`registered_client`). A :class:`DataError` from there becomes the error
of RFC 7591 §3.2.2 naming the member: ``invalid_redirect_uri`` for
``redirect_uris`` and ``post_logout_redirect_uris``, ``invalid_client_metadata``
for everything else.

What a registrant may choose, and why the rest is fixed:

* ``grant_types`` ⊆ {``authorization_code``, ``refresh_token``} with
  ``authorization_code``, and ``response_types`` exactly ``["code"]`` (§2.1:
  they must agree; this provider serves the code flow only). ``offline_access``
  in ``scope`` needs ``refresh_token`` among the grant types.
* ``scope``: space-separated, each a known scope within what the registration
  policy allows (see :class:`RegistrationPolicy`); ``openid`` when omitted.
* ``client_name`` is required (the consent screen names the portal), with
  ``client_name#vi`` / ``client_name#en`` (§2.2) as the two labels.
  ``purpose`` (+ ``#vi`` / ``#en``), an extension member, is the consent
  screen's purpose line; without it the screen says the purpose was not stated.
* ``sector_identifier_uri`` is refused (OIDC Registration §5: it would have to
  be fetched and checked; not offered), so redirect URIs on several hosts are
  refused too (OIDC Core §8.1 needs a sector for them).
* Nothing here makes a test client (``test_only``) or a ``fapi2``-profile
  client: those members exist only in operator-written clients files.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eid.errors import DataError, EidError, InvalidClientMetadata, InvalidRedirectUri
from eid.oidc.clients import AUTH_METHODS, Client, client_from_metadata
from eid.storage.durable import DurableStore

__all__ = ["RegisteredClients", "RegistrationPolicy", "registered_client",
           "registered_metadata"]

log = logging.getLogger("eid.oidc")

_SOURCE: Final = "registration"
_GRANT_TYPES: Final = ("authorization_code", "refresh_token")
_OFFLINE: Final = "offline_access"
_LANGS: Final = ("vi", "en")
_NOT_STATED: Final = {"vi": "Không được khai báo (ứng dụng tự đăng ký)",
                      "en": "Not stated (a self-registered application)"}
# Members copied as they are; client_from_metadata checks them (the file's names).
_PASSTHROUGH: Final = ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri",
                       "jwks", "jwks_uri", "require_pushed_authorization_requests",
                       "dpop_bound_access_tokens", "subject_type",
                       "id_token_signed_response_alg", "userinfo_signed_response_alg",
                       "id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
                       "userinfo_encrypted_response_alg", "userinfo_encrypted_response_enc",
                       # RFC 9396 §10; "match" is never self-registered (an operator's grant).
                       "authorization_details_types", "procedures")
# The file's member names that registration spells differently (RFC 7591 §2). A
# registrant has no "sector" (no sector_identifier_uri): several hosts among the
# redirect URIs (OIDC Core §8.1) are a redirect_uris problem.
_RFC_NAMES: Final = {"scopes": "scope",
                     "token_endpoint_auth_methods": "token_endpoint_auth_method",
                     "sector": "redirect_uris"}
_REDIRECT_FIELDS: Final = frozenset({"redirect_uris", "post_logout_redirect_uris"})
_MAX_NAME: Final = 200
_MAX_PURPOSE: Final = 1000


@dataclass(frozen=True, slots=True)
class RegistrationPolicy:
    """What a self-registered client may ask for.

    ``allowed_scopes``: the scopes a registrant may register (the login service
    allows every known scope in test mode, and the operator's list otherwise).
    """

    known_scopes: frozenset[str]
    allowed_scopes: frozenset[str]
    #: The procedure codes a registrant may name (``procedures``, RFC 9396 §10).
    known_procedures: frozenset[str] = frozenset()


def _fail(field: str, message: str) -> InvalidClientMetadata | InvalidRedirectUri:
    # RFC 7591 §3.2.2: the description names the member so a developer can fix it.
    cls = InvalidRedirectUri if field in _REDIRECT_FIELDS else InvalidClientMetadata
    return cls(f"{field}: {message}")


def _text(raw: Mapping[str, Any], name: str, limit: int, *, required: bool) -> dict[str, str]:
    """``name`` and its ``#vi`` / ``#en`` variants (RFC 7591 §2.2), as registered."""
    found: dict[str, str] = {}
    for member in (name, *(f"{name}#{lang}" for lang in _LANGS)):
        value = raw.get(member)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise _fail(member, f"must be a non-empty string of at most {limit} characters")
        found[member] = value
    if required and name not in found and f"{name}#vi" not in found:
        raise _fail(name, "is required")
    return found


def _labels(registered: Mapping[str, Any], name: str) -> dict[str, str] | None:
    plain = registered.get(name)
    vi = registered.get(f"{name}#vi") or plain
    if vi is None:
        return None
    return {"vi": vi, "en": registered.get(f"{name}#en") or plain or vi}


def registered_metadata(raw: object, policy: RegistrationPolicy) -> dict[str, Any]:
    """The metadata of a registration request in its registered form (RFC 7591 §3.2.1).

    Checks what is particular to registration (the RFC's member forms, grant and
    response types, the policy's scopes); :func:`registered_client` checks the rest.

    :raises InvalidClientMetadata: a member is invalid (the description names it).
    :raises InvalidRedirectUri: ``redirect_uris`` is missing or not a list.
    """
    if not isinstance(raw, dict):
        raise InvalidClientMetadata("the body must be a JSON object of client metadata")
    if "sector_identifier_uri" in raw:
        raise _fail("sector_identifier_uri", "is not supported")
    out: dict[str, Any] = {k: raw[k] for k in _PASSTHROUGH if k in raw}
    if not isinstance(raw.get("redirect_uris"), list) or not raw["redirect_uris"]:
        raise _fail("redirect_uris", "a non-empty array of redirect URIs is required")
    out.update(_text(raw, "client_name", _MAX_NAME, required=True))
    out.update(_text(raw, "purpose", _MAX_PURPOSE, required=False))
    method = raw.get("token_endpoint_auth_method", "client_secret_basic")  # RFC 7591 §2
    if method not in AUTH_METHODS:
        raise _fail("token_endpoint_auth_method", f"must be one of {', '.join(AUTH_METHODS)}")
    out["token_endpoint_auth_method"] = method
    grants = raw.get("grant_types", ["authorization_code"])
    if not isinstance(grants, list) or "authorization_code" not in grants \
            or any(g not in _GRANT_TYPES for g in grants) or len(set(grants)) != len(grants):
        raise _fail("grant_types", "authorization_code, optionally with refresh_token")
    out["grant_types"] = grants
    responses = raw.get("response_types", ["code"])
    if responses != ["code"]:  # §2.1: "code" goes with authorization_code; nothing else served
        raise _fail("response_types", 'only ["code"] is supported')
    out["response_types"] = responses
    scope = raw.get("scope", "openid")
    if not isinstance(scope, str) or scope != " ".join(scope.split()) or not scope:
        raise _fail("scope", "a space-separated list of scopes")
    scopes = scope.split()
    unknown = sorted(set(scopes) - policy.known_scopes)
    if unknown:
        raise _fail("scope", f"unknown scopes {unknown}")
    refused = sorted(set(scopes) - policy.allowed_scopes)
    if refused:
        raise _fail("scope", f"not allowed for a registered client: {refused}")
    if "openid" not in scopes:
        raise _fail("scope", "must include openid")
    if _OFFLINE in scopes and "refresh_token" not in grants:
        raise _fail("grant_types", f"{_OFFLINE} needs the refresh_token grant type")
    out["scope"] = scope
    return out


def registered_client(client_id: str, registered: Mapping[str, Any], secret_hash: str | None,
                      known_scopes: frozenset[str],
                      known_procedures: frozenset[str] = frozenset()) -> Client:
    """The :class:`Client` of registered metadata, validated by the clients file's rules.

    :raises InvalidClientMetadata: a member is invalid (the description names it).
    :raises InvalidRedirectUri: a redirect or post-logout redirect URI is invalid.
    """
    raw: dict[str, Any] = {k: registered[k] for k in _PASSTHROUGH if k in registered}
    raw.update(
        client_id=client_id,
        client_name=_labels(registered, "client_name"),
        purpose=_labels(registered, "purpose") or _NOT_STATED,
        scopes=str(registered.get("scope", "")).split(),
        token_endpoint_auth_methods=[registered.get("token_endpoint_auth_method")],
    )
    if secret_hash is not None:
        raw["secret_hash"] = secret_hash
    try:
        client = client_from_metadata(raw, source=_SOURCE, known_scopes=known_scopes,
                                      known_procedures=known_procedures)
    except DataError as exc:
        field = exc.field or "metadata"
        detail = exc.message.removeprefix(f"{_SOURCE}: {field}: ")
        raise _fail(_RFC_NAMES.get(field, field), detail) from exc
    return client


class RegisteredClients:
    """Registered clients read through the durable store, for :class:`ClientRegistry`.

    Every worker and instance reads the same store, so a client registered on
    one is found on all. Registered clients never change (RFC 7592 update and
    delete are not offered), so a found client is cached for good (bounded,
    least recently used out). Unknown ids are not cached: they cost one indexed
    read, and registered ids are random, so a cached miss could never turn into
    a hit worth keeping anyway.
    """

    def __init__(self, durable: DurableStore, known_scopes: frozenset[str],
                 max_cached: int = 4096, *,
                 known_procedures: frozenset[str] = frozenset()) -> None:
        self._durable = durable
        self._known = known_scopes
        self._procedures = known_procedures
        self._max = max_cached
        self._cache: OrderedDict[str, Client] = OrderedDict()
        self._lock = threading.Lock()

    def find(self, client_id: str) -> Client | None:
        """The registered client ``client_id``, or ``None``.

        A stored client that no longer validates (its scope left the catalogue)
        is logged and treated as unknown rather than failing every request.

        :raises StorageError: the store failed.
        """
        with self._lock:
            if client_id in self._cache:
                self._cache.move_to_end(client_id)
                return self._cache[client_id]
        row = self._durable.registered_client(client_id)
        if row is None:
            return None
        try:
            client = registered_client(row.client_id, row.metadata, row.secret_hash,
                                       self._known, self._procedures)
        except EidError as exc:
            log.warning("registered client %s no longer validates: %s", client_id, exc)
            return None
        with self._lock:
            self._cache[client_id] = client
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return client
