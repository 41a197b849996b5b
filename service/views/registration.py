"""Dynamic client registration (RFC 7591) and client read (RFC 7592 §2.1).

``POST /register`` takes a JSON object of client metadata and answers 201 with
the registered client (RFC 7591 §3.2.1); ``GET /register/<client_id>`` with the
registration access token returns it again. Update and delete (RFC 7592 §2.2,
§2.3) are not offered, so a registered client never changes.

Who may register: anyone in test mode (and so in the mock); otherwise only a
caller presenting the operator's initial access token (RFC 7591 §3,
``EID_REGISTRATION_TOKEN``) as a Bearer token. Without one configured, these
endpoints do not exist (404) and discovery does not name them.

The metadata rules live in :mod:`eid.oidc.registration`; secrets are random
(256 bits), returned once, and stored only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any, Final

from flask import Blueprint, abort, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from eid.errors import InvalidClientMetadata, InvalidRequest, InvalidToken, ServerError
from eid.oidc.clients import SECRET_AUTH_METHODS, hash_client_secret, secret_matches
from eid.oidc.registration import RegistrationPolicy, registered_client, registered_metadata
from eid.storage import RegisteredClient
from service.provider import Provider, provider

__all__ = ["MAX_REGISTRATION_BODY", "bp"]

bp = Blueprint("registration", __name__)

#: Largest registration request (bytes): metadata with a few public keys is 2-5 KB.
MAX_REGISTRATION_BODY: Final = 16 * 1024
_MAX_CLIENT_ID: Final = 128
# Compared against when the client is unknown, so a miss costs what a hit does.
_DUMMY_TOKEN_HASH: Final = hash_client_secret(secrets.token_urlsafe(32))


@bp.before_request
def _enabled() -> None:
    g.api = True
    if provider().registration is None:
        abort(404)


def _policy(p: Provider) -> RegistrationPolicy:
    if p.registration is None:  # _enabled answered 404 already; never reached
        abort(404)
    return p.registration


def _bearer() -> str:
    """The Bearer token of the Authorization header (RFC 6750 §2.1).

    :raises InvalidToken: none (``g.no_token``: RFC 6750 §3.1, no error code) or malformed.
    """
    header = request.headers.get("Authorization")
    if header is None:
        g.no_token = True
        raise InvalidToken("a Bearer token is required")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise InvalidToken("malformed Authorization header")
    return value.strip()


def _check_initial_token(p: Provider) -> None:
    """RFC 7591 §3: outside test mode only the operator's initial access token registers."""
    if p.settings.registration_open:
        return
    expected = p.settings.registration_token
    presented = _bearer()
    # Equal-length digests: compare_digest's time then says nothing about the token.
    ok = expected is not None and hmac.compare_digest(
        hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest(),
        hashlib.sha256(expected.encode("utf-8")).digest())
    if not ok:
        raise InvalidToken("the initial access token is not valid")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, value in pairs:
        if name in doc:  # which of two values counts is ambiguous: neither does
            raise InvalidClientMetadata(f"{name}: given twice")
        doc[name] = value
    return doc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 §6: no NaN or Infinity


def _json_body() -> object:
    """The request's JSON document (RFC 7591 §3.1: ``application/json``), size-capped.

    :raises InvalidRequest: another content type, or a body that is not JSON.
    :raises InvalidClientMetadata: a member given twice.
    """
    if request.mimetype != "application/json":
        raise InvalidRequest("Content-Type must be application/json")
    length = request.content_length
    if length is not None and length > MAX_REGISTRATION_BODY:
        raise RequestEntityTooLarge()
    body = request.get_data(cache=False)
    if len(body) > MAX_REGISTRATION_BODY:
        raise RequestEntityTooLarge()
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_refuse_duplicates,
                          parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidRequest("the body is not JSON") from None


def _answer(body: dict[str, Any], status: int) -> ResponseReturnValue:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # RFC 7591 §3.2.1: it holds secrets
    response.headers["Pragma"] = "no-cache"
    return response


def _client_information(p: Provider, row: RegisteredClient, token: str) -> dict[str, Any]:
    """RFC 7591 §3.2.1 / RFC 7592 §3: the id, the registered metadata and how to read it."""
    return {
        "client_id": row.client_id,
        "client_id_issued_at": int(row.issued_at),
        **row.metadata,
        "registration_access_token": token,
        "registration_client_uri": f"{p.issuer}/register/{row.client_id}",
    }


@bp.post("/register")
def register() -> ResponseReturnValue:
    p = provider()
    policy = _policy(p)
    _check_initial_token(p)
    registered = registered_metadata(_json_body(), policy)
    secret = None
    if registered["token_endpoint_auth_method"] in SECRET_AUTH_METHODS:
        secret = secrets.token_urlsafe(32)
    secret_hash = hash_client_secret(secret) if secret is not None else None
    # Ids are ours, random, never the registrant's choice: none can name a file client.
    client_id = f"dcr-{secrets.token_urlsafe(16)}"
    registered_client(client_id, registered, secret_hash, policy.known_scopes,  # or raises
                      policy.known_procedures)
    token = secrets.token_urlsafe(32)
    row = RegisteredClient(client_id, registered, secret_hash, hash_client_secret(token),
                           float(int(p.now())))
    if p.clients.holds(client_id) or not p.durable.add_registered_client(row):
        raise ServerError("could not allocate a client id")
    body = _client_information(p, row, token)
    if secret is not None:
        body.update(client_secret=secret, client_secret_expires_at=0)  # 0: never expires
    return _answer(body, 201)


@bp.get("/register/<client_id>")
def read(client_id: str) -> ResponseReturnValue:
    p = provider()
    token = _bearer()
    row = None
    if len(client_id) <= _MAX_CLIENT_ID and not p.clients.holds(client_id):
        row = p.durable.registered_client(client_id)
    ok = secret_matches(token, row.token_hash if row is not None else _DUMMY_TOKEN_HASH)
    # RFC 7592 §2.1: an unknown client and a wrong token both answer 401 invalid_token.
    if row is None or not ok:
        raise InvalidToken("the registration access token is not valid for this client")
    # The secret is kept only as a hash: it is returned once, at registration.
    return _answer(_client_information(p, row, token), 200)
