"""Parsing and validating an authorization request (OIDC Core §3.1.2.1-2).

The order matters (RFC 6749 §4.1.2.1): the client and its redirect URI are
checked first, and a failure there is shown on an error page and never
redirected; once both are trusted, every other error goes back to the portal.
Unknown parameters are ignored (OIDC Core §3.1.2.1); unknown scope values too.
``authorization_details`` (RFC 9396) is validated by
:func:`eid.oidc.authorization_details.parse_authorization_details`: its JSON syntax,
size and depth are the parameter parser's (``invalid_request``, a malformed
request), its content the type's (``invalid_authorization_details``, §5).
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field, fields
from typing import Any, Final

from eid.errors import (
    InvalidRedirectUri,
    InvalidRequest,
    InvalidScope,
    RequestNotSupported,
    RequestUriNotSupported,
    TokenError,
    UnmetAuthenticationRequirements,
    UnsupportedResponseType,
)
from eid.oidc import check_challenge
from eid.oidc.authorization_details import ProcedureDetail, parse_authorization_details
from eid.oidc.clients import Client
from eid.verify import ACR_LEVELS, acr_rank, verify_jws
from service.context import this_globals
from service.dpop import parse_dpop_jkt
from service.params import MAX_LENGTHS, MAX_PENDING_REQUEST, Params
from service.provider import OFFLINE_ACCESS, Provider
from service.sessions import browser_key
from service.state_keys import pending_request

__all__ = [
    "AuthorizationRequest",
    "load_request",
    "parse_request",
    "read_id_token_hint",
    "request_record",
    "save_request",
    "store_record",
]

_PROMPTS: Final = frozenset({"none", "login", "consent", "select_account"})
_CLAIM_TARGETS: Final = ("userinfo", "id_token")
_ID_NUMBER_SCOPE: Final = "id_number"


@dataclass(slots=True)
class AuthorizationRequest:
    """A validated authorization request, kept while the citizen logs in and consents."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: list[str]
    code_challenge: str
    nonce: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    login_hint: str | None = None
    hint_subject: str | None = None
    ui_locales: str | None = None
    acr: str | None = None  # the weakest level that satisfies the request
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra_claims: list[str] = field(default_factory=list)  # claims beyond the scopes'
    created: float = 0.0
    fresh_login: bool = False  # the citizen signed in for this very request
    browser: str = ""  # the browser that made the request (see sessions.browser_key)
    consented: bool = False
    dpop_jkt: str | None = None  # RFC 9449 §10: the key the code is bound to
    #: RFC 9396: the granted ``vn_procedure`` object (at most one), as JSON.
    authorization_details: list[dict[str, Any]] = field(default_factory=list)

    @property
    def procedure(self) -> ProcedureDetail | None:
        """The procedure this request serves, or ``None`` (the client's purpose applies)."""
        docs = self.authorization_details
        return ProcedureDetail.from_json(docs[0]) if docs else None

    @property
    def required_subjects(self) -> frozenset[str]:
        """Subjects this request names: the ``id_token_hint``'s, and a ``sub`` value asked
        for in the ``claims`` parameter (OIDC Core §3.1.2.1, §5.5.1)."""
        wanted = self.claims.get("id_token", {}).get("sub")
        value = wanted.get("value") if isinstance(wanted, dict) else None
        return frozenset(s for s in (self.hint_subject, value) if isinstance(s, str) and s)

    @property
    def consent_items(self) -> frozenset[str]:
        """What a remembered consent must cover: scopes, extra claims as ``claim:<name>``,
        and the procedure as ``procedure:<code>``: a consent given for one procedure is
        not one for another (another purpose), even for the same scopes."""
        procedure = self.procedure
        return frozenset(self.scopes) | {f"claim:{c}" for c in self.extra_claims} \
            | ({f"procedure:{procedure.procedure}"} if procedure else set())


_FIELDS: Final = tuple(f.name for f in fields(AuthorizationRequest))


def request_record(req: AuthorizationRequest) -> dict[str, Any]:
    """``req`` as the short-lived store keeps it.

    :raises InvalidRequest: the request would keep more than :data:`MAX_PENDING_REQUEST`
        (item 12: an unauthenticated ``/authorize`` must not park tens of KB for minutes).
    """
    # Shallow: the fields are JSON values already, and the store keeps its own copy
    # (dataclasses.asdict deep-copied every list and dict once more, on every request).
    record = {name: getattr(req, name) for name in _FIELDS}
    if len(json.dumps(record)) > MAX_PENDING_REQUEST:
        raise InvalidRequest("the authorization request is too large")
    return record


def store_record(p: Provider, record: dict[str, Any], req_id: str | None = None) -> str:
    """Keep a :func:`request_record` in the short-lived store; returns its id."""
    req_id = req_id or secrets.token_urlsafe(24)
    p.ephemeral.put(pending_request(req_id), record, p.settings.request_ttl)
    return req_id


def save_request(p: Provider, req: AuthorizationRequest, req_id: str | None = None) -> str:
    """Keep ``req`` in the short-lived store; returns its id.

    :raises InvalidRequest: as :func:`request_record`.
    """
    return store_record(p, request_record(req), req_id)


def load_request(p: Provider, req_id: object) -> AuthorizationRequest | None:
    """The pending request ``req_id``, or ``None`` when unknown or expired."""
    if not isinstance(req_id, str) or not req_id:
        return None
    raw = p.ephemeral.get(pending_request(req_id))
    if raw is None:
        return None
    req = AuthorizationRequest(**raw)
    # Only the browser that started the request may continue it.
    if not hmac.compare_digest(req.browser.encode(), browser_key().encode()):
        return None
    return req


def _client_and_redirect(p: Provider, params: Params) -> tuple[Client, str]:
    # RFC 6749 §4.1.2.1: none of these may be redirected; the page names which it is.
    try:
        params.check(("client_id", "redirect_uri"))
    except InvalidRequest as err:  # not trusted yet: an error page, never a redirect
        raise InvalidRedirectUri(err.description, code="invalid_request") from None
    client_id = params.get("client_id")
    if not client_id:
        raise InvalidRedirectUri("client_id is missing", code="invalid_request")
    client = p.clients.get(client_id)
    if client is None:
        raise InvalidRedirectUri("unknown client_id", code="invalid_client")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise InvalidRedirectUri("redirect_uri is missing", code="invalid_request")
    # RFC 9700 §4.1.3: exact string match, no normalisation, no wildcards.
    if redirect_uri not in client.redirect_uris:
        raise InvalidRedirectUri("redirect_uri is not registered for this client")
    return client, redirect_uri


# Claims about the authentication itself, not citizen data: kept for their rules
# (acr: the level, §5.5.1.1; sub: which citizen, §5.5.1), never consented to.
_PROTOCOL = frozenset({"acr", "sub"})


def _claims_request(p: Provider, client: Client, params: Params
                    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """OIDC Core §5.5: the ``claims`` parameter, kept to claims this client may ask for."""
    doc = params.json_object("claims")
    if doc is None:
        return {}, []
    if not all(isinstance(doc.get(t, {}), dict) for t in _CLAIM_TARGETS):
        raise InvalidRequest("claims must be an object of userinfo / id_token objects")
    # The personal ID number is released only under its own scope, never claim by claim.
    allowed = {a.claim for a in p.catalogue.released(client.scopes)} \
        - set(p.catalogue.claim_names([_ID_NUMBER_SCOPE]))
    kept: dict[str, dict[str, Any]] = {}
    for target in _CLAIM_TARGETS:
        members = doc.get(target) or {}
        for name, spec in members.items():
            _check_claim_spec(name, spec)
        kept[target] = {name: spec for name, spec in members.items()
                        if name in allowed or name in _PROTOCOL}
    extra = sorted({n for t in kept.values() for n in t if n not in _PROTOCOL})
    return kept, extra


def _check_claim_spec(name: str, spec: object) -> None:
    """OIDC Core §5.5.1: ``null``, or an object with boolean ``essential``, ``value``,
    array ``values``; for ``acr`` (§5.5.1.1) the values are level names (strings).

    :raises InvalidRequest: any other shape.
    """
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise InvalidRequest(f"claims.{name} must be null or an object")
    if not isinstance(spec.get("essential", False), bool):
        raise InvalidRequest(f"claims.{name}.essential must be a boolean")
    if "values" in spec and not isinstance(spec["values"], list):
        raise InvalidRequest(f"claims.{name}.values must be an array")
    if name in _PROTOCOL:
        values = [spec["value"]] if "value" in spec else spec.get("values", [])
        if not all(isinstance(v, str) for v in values):
            raise InvalidRequest(f"claims.{name} values must be strings")


def _required_acr(acr_values: list[str], claims: dict[str, dict[str, Any]]) -> str | None:
    """The weakest listed level: any listed level satisfies the request.

    ``acr_values`` is voluntary (OIDC Core §3.1.2.1): levels we do not define are
    ignored. An *essential* ``acr`` naming none of ours can never be met (§5.5.1.1).

    :raises UnmetAuthenticationRequirements: an essential acr of unknown levels only.
    """
    wanted = [v for v in acr_values if v in ACR_LEVELS]
    spec = claims.get("id_token", {}).get("acr")
    if isinstance(spec, dict) and spec.get("essential"):
        listed = spec.get("values") or ([spec["value"]] if "value" in spec else [])
        essential = [v for v in listed if v in ACR_LEVELS]
        if listed and not essential:
            raise UnmetAuthenticationRequirements(
                f"no essential acr value is one of {' '.join(ACR_LEVELS)}")
        wanted += essential
    return min(wanted, key=acr_rank) if wanted else None


def read_id_token_hint(p: Provider, hint: str) -> dict[str, Any]:
    """The claims of an ID token this provider signed (expired ones count: OIDC Core §3.1.2.1).

    :raises InvalidRequest: not a token of this provider.
    """
    try:
        _, payload = verify_jws(hint, p.keys.jwks())
        claims = json.loads(payload)
    except (TokenError, ValueError):
        raise InvalidRequest("id_token_hint is not an ID token of this provider") from None
    if not isinstance(claims, dict) or claims.get("iss") != p.issuer \
            or not isinstance(claims.get("sub"), str) or not isinstance(claims.get("aud"), str):
        raise InvalidRequest("id_token_hint is not an ID token of this provider")
    return claims


def _hint_subject(p: Provider, client: Client, hint: str | None) -> str | None:
    """The ``sub`` of an ``id_token_hint`` we issued to this client."""
    if not hint:
        return None
    claims = read_id_token_hint(p, hint)
    if claims["aud"] != client.client_id:
        raise InvalidRequest("id_token_hint was not issued to this client")
    return str(claims["sub"])


def parse_request(p: Provider, params: Params, *, pushed: bool = False
                  ) -> AuthorizationRequest:
    """Validate an authorization request (``pushed``: arriving at ``/par``, RFC 9126 §2.1,
    where the same rules apply and every error is answered as JSON).

    :raises InvalidRedirectUri: unknown client or redirect URI (error page).
    :raises OAuthError: anything else, redirected to the portal with ``state``.
    """
    client, redirect_uri = _client_and_redirect(p, params)
    state = params.get("state") if "state" not in params.repeated else None
    if state is not None and len(state) > MAX_LENGTHS["state"]:
        state = None  # never echo an oversized state back
    # From here on errors are redirected (see service.errors).
    this_globals().redirect_target = (redirect_uri, state)
    params.check()
    if "request" in params:
        raise RequestNotSupported("request objects are not supported")
    if "request_uri" in params:
        if pushed:  # RFC 9126 §2.1: the one parameter a pushed request "MUST NOT" carry
            raise InvalidRequest("request_uri cannot be pushed")
        # Pushed request URIs are resolved before this (service.par); no other kind is.
        raise RequestUriNotSupported("request_uri is not supported")
    if client.require_par and not pushed:
        # RFC 9126 §5 (require_pushed_authorization_requests; FAPI 2.0 §5.3.2.1 for fapi2
        # clients): refused, and redirected since the redirect URI is registered
        # (RFC 6749 §4.1.2.1).
        raise InvalidRequest("this client must push its authorization requests (PAR)")
    response_type = params.get("response_type")
    if not response_type:
        raise InvalidRequest("response_type is required")
    if response_type != "code":
        raise UnsupportedResponseType("only the authorization code flow (response_type=code)")
    if (params.get("response_mode") or "query") != "query":
        raise InvalidRequest("only response_mode=query is supported")
    requested = params.words("scope")
    if "openid" not in requested:
        raise InvalidScope("the openid scope is required")
    known = set(p.catalogue.scopes) | {OFFLINE_ACCESS}
    # Unknown scopes are ignored; known ones the client is not registered for are dropped
    # (RFC 6749 §3.3: the server may grant fewer scopes and says so in the token response).
    scopes = [s for s in requested if s in known and s in client.scopes]
    detail = parse_authorization_details(
        params.json_value("authorization_details"), client, p.procedures)
    if detail is not None:
        # RFC 9396 §3.1: scope and authorization_details are granted together; the
        # attributes were checked against the client's scopes.
        scopes += [a for a in detail.attributes if a not in scopes]
    challenge = check_challenge(params.get("code_challenge"),
                                params.get("code_challenge_method"))
    prompt = params.words("prompt")
    if not set(prompt) <= _PROMPTS:
        raise InvalidRequest("unknown prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    max_age = params.integer("max_age")
    claims, extra = _claims_request(p, client, params)
    released = set(p.catalogue.claim_names(scopes))
    extra = [c for c in extra if c not in released]  # already covered by a scope
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        state=state,
        scopes=scopes,
        code_challenge=challenge,
        nonce=params.get("nonce"),
        prompt=prompt,
        max_age=max_age,
        login_hint=params.get("login_hint"),
        hint_subject=_hint_subject(p, client, params.get("id_token_hint")),
        ui_locales=params.get("ui_locales"),
        acr=_required_acr(params.words("acr_values"), claims),
        claims=claims,
        extra_claims=extra,
        created=p.now(),
        # A pushed request meets its browser at /authorize; /par sets no cookie.
        browser="" if pushed else browser_key(),
        dpop_jkt=parse_dpop_jkt(params.get("dpop_jkt")),
        authorization_details=[detail.to_json()] if detail else [],
    )
