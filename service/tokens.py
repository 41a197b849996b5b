"""Codes, grants, access, refresh and ID tokens: the token side of the provider.

Why not Authlib's ``AuthorizationServer`` and grant classes? Authlib 1.9 raises and
renders its own ``OAuth2Error`` responses, so errors could not come from ``eid.errors`` and be
rendered in one place; its ``OpenIDCode`` signs ID tokens with joserfc from a
private key handed out by ``get_jwt_config``, while our keys stay inside
``eid``'s :class:`KeyStore` and sign through ``eid.signing``; a replayed code
only makes ``query_authorization_code`` return nothing, with no place to
revoke the tokens already issued from it; refresh rotation has no atomic
compare-and-swap, so two concurrent uses of one token could both succeed; and
``acr`` enforcement, pairwise ``sub``, ``max_age``/``id_token_hint`` and the
``claims`` parameter would each be one more override. With every hook
overridden nothing would remain but its dispatch, so the protocol rules live
here, on ``eid``, in one readable place:

* codes are single-use and 60 s (RFC 6749 §4.1.2); redeeming is an atomic
  ``consume``, and a consumed-code marker makes a replay revoke every token
  issued from the code (§4.1.2, §10.5), on the memory store and on Redis alike;
* every code redemption creates a durable :class:`~eid.storage.Grant`; access
  tokens name their grant, so revoking the grant (code replay, refresh-token
  reuse, consent withdrawn) kills them at once;
* a code is redeemed only while the consent it was issued under holds: the
  grant is stored in one transaction with the check of the consent and of the
  citizen's revocation epoch for the client (RFC 7009 §2.1, OIDC Core §11);
* refresh tokens (only with ``offline_access``) rotate on every use and a
  replayed one revokes the whole grant (RFC 9700 §4.14.2);
* with a DPoP proof at the token endpoint (:mod:`service.dpop`) the access token
  records ``cnf.jkt`` and is of type ``DPoP``, the grant's refresh token needs a
  proof by the same key, and a code issued for a ``dpop_jkt`` only redeems with
  that key (RFC 9449 §5, §6, §10);
* a request's ``vn_procedure`` authorization details (RFC 9396) travel with the
  code into the grant, come back in the token response (§7) and introspection
  (§9.2), narrowed to the token's scopes when a refresh narrowed them;
  narrowing by ``authorization_details`` at the token endpoint (§6.2, §7.1) is
  not offered (refused by the view), ``scope`` narrows;
* ID tokens carry a pairwise ``sub``, ``acr``/``amr``/``auth_time``/``sid`` and
  ``at_hash``, signed ES256 (or the client's RS256) by the :class:`KeyStore`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from eid.errors import InvalidGrant, InvalidScope, NotFoundError, PopulationError, StorageError
from eid.oidc import verify_pkce
from eid.oidc.authorization_details import VN_PROCEDURE, ProcedureDetail
from eid.oidc.clients import Client
from eid.population.model import Citizen
from eid.prefill import claims_by_name, claims_for
from eid.signing import sign_token
from eid.storage import Grant
from eid.verify import ALGORITHMS, token_hash
from service.audit import consent_basis, grant_procedure, record_release
from service.authz_request import AuthorizationRequest
from service.protected import encrypt_for
from service.provider import OFFLINE_ACCESS, Provider
from service.sessions import LoginSession, client_entry, client_sid
from service.state_keys import access_token, code_used
from service.state_keys import code as code_key

__all__ = [
    "FAPI2_CODE_TTL",
    "access_token_info",
    "citizen_who_may_sign_in",
    "introspect",
    "issue_code",
    "redeem_code",
    "refresh",
    "requested_claims",
    "revoke_token",
]

log = logging.getLogger("eid.service")

_USED_MARKER_TTL = 86_400
#: FAPI 2.0 §5.3.2.1: an authorization code of a fapi2 client lives 60 s at most,
#: whatever the service's general ``code_ttl``.
FAPI2_CODE_TTL = 60  # how long a replayed code is still recognised as a replay


def _h(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def citizen_who_may_sign_in(p: Provider, id_number: str) -> Citizen | None:
    """The citizen, when their e-ID account exists, is active, and they are alive."""
    try:
        citizen = p.registry.get(id_number)
    except (NotFoundError, PopulationError):
        return None
    account = citizen.account
    if account is None or account.status != "active" or citizen.is_deceased:
        return None
    return citizen


def issue_code(p: Provider, req: AuthorizationRequest, session: LoginSession, epoch: int, *,
               replaces: str | None = None) -> str:
    """A fresh authorization code bound to the client, redirect URI and PKCE challenge.

    ``epoch``: the pair's revocation epoch, read before the code is issued (with the
    consent the authorization rests on); redemption refuses the code once a revocation
    has moved it (:func:`_save_grant_under_consent`).

    ``replaces``: a short-lived key the code supersedes (the pending request it
    answers), deleted in the same round trip as the code is stored.
    """
    code = secrets.token_urlsafe(32)
    ttl = p.settings.code_ttl
    client = p.clients.get(req.client_id)
    if client is not None and client.fapi2:
        ttl = min(ttl, FAPI2_CODE_TTL)
    p.ephemeral.write_many({code_key(_h(code)): ({
        "client_id": req.client_id, "redirect_uri": req.redirect_uri,
        "id_number": session.id_number, "scopes": req.scopes, "claims": req.claims,
        "nonce": req.nonce, "code_challenge": req.code_challenge,
        "auth_time": session.auth_time, "acr": session.acr, "amr": list(session.amr),
        "sid": session.sid, "exp": p.now() + ttl,
        "dpop_jkt": req.dpop_jkt,  # RFC 9449 §10: the code is bound to this key
        "authorization_details": req.authorization_details,  # RFC 9396 §6
        # What redemption checks against the consent (see _save_grant_under_consent).
        "consent": sorted(req.consent_items),
        "epoch": epoch,
    }, ttl)}, deletes=[replaces] if replaces is not None else ())
    return code


def redeem_code(p: Provider, client: Client, code: str, redirect_uri: str | None,
                verifier: str | None, *, jkt: str | None = None) -> dict[str, Any]:
    """The token response for an authorization code (RFC 6749 §4.1.3, OIDC Core §3.1.3).

    ``jkt``: the thumbprint of the request's DPoP proof; the tokens are bound to it.

    :raises InvalidGrant: unknown, expired, replayed, or bound to another
        client / redirect URI / PKCE challenge / DPoP key.
    """
    key = _h(code)
    grant_id = secrets.token_urlsafe(18)
    # The code and its redeemed mark in one atomic step: a replay racing this redemption
    # finds the mark (never neither), and it is one round trip instead of two.
    data, used = p.ephemeral.consume_marking(code_key(key), code_used(key),
                                             {"grant_id": grant_id}, _USED_MARKER_TTL)
    now = p.now()
    if data is None:
        if used is not None:
            # RFC 6749 §4.1.2: a replayed code revokes the tokens issued from it.
            p.durable.revoke_grant(str(used["grant_id"]), now)
            log.warning("authorization code replayed by %s: grant revoked", client.client_id)
            raise InvalidGrant("authorization code already used; its tokens are revoked")
        raise InvalidGrant("unknown or expired authorization code")
    if data["exp"] <= now:
        raise InvalidGrant("authorization code expired")
    if data["client_id"] != client.client_id:
        raise InvalidGrant("authorization code was issued to another client")
    if data["redirect_uri"] != redirect_uri:
        raise InvalidGrant("redirect_uri does not match the authorization request")
    verify_pkce(verifier, data["code_challenge"])
    bound = data.get("dpop_jkt")
    if bound is not None and bound != jkt:
        # RFC 9449 §10: a proof by another key (or none) MUST be rejected; the code is
        # what is bound, so it is the grant that is invalid (as for redirect_uri).
        raise InvalidGrant("the authorization code is bound to another DPoP key")
    if citizen_who_may_sign_in(p, data["id_number"]) is None:
        raise InvalidGrant("the account can no longer sign in")
    scopes = frozenset(data["scopes"])
    offline = OFFLINE_ACCESS in scopes
    refresh_token = f"{grant_id}.{secrets.token_urlsafe(32)}" if offline else None
    grant = Grant(
        grant_id=grant_id, subject=data["id_number"], client_id=client.client_id,
        scopes=scopes,
        details={**{k: data[k] for k in ("auth_time", "acr", "amr", "sid", "claims")},
                 # RFC 9449 §5: the refresh token is bound to the same key (FAPI 2.0 asks
                 # it of confidential clients too).
                 **({"jkt": jkt} if jkt else {}),
                 # RFC 9396 §7: what the citizen authorised, kept with the grant.
                 **({"authorization_details": data["authorization_details"]}
                    if data.get("authorization_details") else {})},
        refresh_hash=_h(refresh_token) if refresh_token else None, created_at=now,
        expires_at=now + (p.settings.refresh_ttl if offline else p.settings.access_token_ttl),
    )
    _save_grant_under_consent(p, grant, data)
    # Back-channel logout tells every portal that got an ID token in the session; the
    # entry saying so is stored with the access token, in one round trip.
    also = client_entry(p, data["sid"], client.client_id)
    return _token_response(p, client, grant, scopes, nonce=data["nonce"],
                           refresh_token=refresh_token, jkt=jkt, also=also)


def _save_grant_under_consent(p: Provider, grant: Grant, code: dict[str, Any]) -> None:
    """Store the grant of a redeemed code only while the consent behind the code holds.

    RFC 7009 §2.1, OIDC Core §11: a consent withdrawn after the code was issued (even if
    given again since: the revocation epoch moved) or narrowed below what the code
    carries leaves nothing to redeem. The check and the insert are one transaction, so a
    revocation committing meanwhile either finds this grant and revokes it, or makes
    the insert fail: no live grant outlives a revocation.

    :raises InvalidGrant: the consent is gone, narrower, or was revoked since the code.
    """
    needs, epoch = code.get("consent"), code.get("epoch")
    if not isinstance(needs, list) or isinstance(epoch, bool) or not isinstance(epoch, int) \
            or not p.durable.save_grant_if_consented(grant, frozenset(needs), epoch):
        log.info("code of %s redeemed after its consent was withdrawn", grant.client_id)
        raise InvalidGrant("the consent behind this authorization code was withdrawn")


def refresh(p: Provider, client: Client, token: str, scope: str | None,
            *, jkt: str | None = None) -> dict[str, Any]:
    """Rotate a refresh token (RFC 6749 §6) and issue fresh tokens.

    ``jkt``: the thumbprint of the request's DPoP proof.

    :raises InvalidGrant: unknown, revoked or replayed token (a replay revokes the grant),
        or a token bound to another DPoP key.
    :raises InvalidScope: more scope than the grant holds.
    """
    now = p.now()
    grant = p.durable.grant(token.partition(".")[0])
    if grant is None or grant.client_id != client.client_id:
        raise InvalidGrant("unknown refresh token")
    if not grant.live(now) or grant.refresh_hash is None:
        raise InvalidGrant("refresh token revoked or expired")
    bound = grant.details.get("jkt")
    if bound is not None and bound != jkt:
        # RFC 9449 §5: a bound refresh token needs a proof by its key. Checked before
        # rotation: whoever holds the token without the key can neither use nor burn it.
        raise InvalidGrant("the refresh token is bound to another DPoP key")
    new_token = f"{grant.grant_id}.{secrets.token_urlsafe(32)}"
    # The scope is checked before rotating: a refused request must leave the client's token
    # usable (rotating first would make its next, legitimate use look like a replay).
    current = grant.refresh_hash == _h(token)
    scopes = grant.scopes
    if scope and current:
        asked = frozenset(scope.split())
        if not asked <= grant.scopes:
            raise InvalidScope("requested scope exceeds the grant")
        scopes = asked | ({"openid"} & grant.scopes)
    if not current or not p.durable.rotate_refresh(grant.grant_id, _h(token), _h(new_token)):
        # RFC 9700 §4.14.2: a rotated-out token used again means it leaked.
        p.durable.revoke_grant(grant.grant_id, now)
        log.warning("refresh token reuse by %s: grant revoked", client.client_id)
        raise InvalidGrant("refresh token reuse detected; the grant is revoked")
    if citizen_who_may_sign_in(p, grant.subject) is None:
        p.durable.revoke_grant(grant.grant_id, now)
        raise InvalidGrant("the account can no longer sign in")
    try:
        return _token_response(p, client, grant, scopes, nonce=None,
                               refresh_token=new_token, jkt=jkt)
    except StorageError:
        # Nothing was sent (the data-access log or the token store failed): put the
        # client's token back, else its retry would look like reuse (RFC 9700 §4.14.2)
        # and revoke the grant over an outage. The new token never left, so this is
        # the state before the request.
        try:
            p.durable.rotate_refresh(grant.grant_id, _h(new_token), _h(token))
        except StorageError:
            log.warning("refresh of %s failed and its rotation could not be undone",
                        client.client_id)
        raise


def _token_response(p: Provider, client: Client, grant: Grant, scopes: frozenset[str], *,
                    nonce: str | None, refresh_token: str | None,
                    jkt: str | None,
                    also: Mapping[str, tuple[dict[str, Any], float]] | None = None
                    ) -> dict[str, Any]:
    """The token response; ``also``: other short-lived entries (key: (value, ttl)) to
    store in the access token's round trip."""
    now = p.now()
    ttl = p.settings.access_token_ttl
    access = secrets.token_urlsafe(32)
    record: dict[str, Any] = {
        "client_id": client.client_id, "grant_id": grant.grant_id,
        "scopes": sorted(scopes), "iat": int(now), "exp": now + ttl,
    }
    if jkt is not None:
        record["cnf"] = {"jkt": jkt}  # RFC 9449 §6: the token's confirmation key
    p.ephemeral.write_many({access_token(_h(access)): (record, ttl), **(also or {})})
    body: dict[str, Any] = {
        # RFC 9449 §5: token_type DPoP for a bound access token.
        "access_token": access, "token_type": "DPoP" if jkt else "Bearer", "expires_in": ttl,
        "scope": " ".join(sorted(scopes)),
        "id_token": _id_token(p, client, grant, scopes, nonce=nonce, access=access),
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    details = _granted_details(grant, scopes)
    if details:
        body["authorization_details"] = details
    return body


def _granted_details(grant: Grant, scopes: frozenset[str] | Iterable[str]
                     ) -> list[dict[str, Any]]:
    """RFC 9396 §7: the grant's authorization details, as far as ``scopes`` still carry them."""
    kept = frozenset(scopes)
    return [ProcedureDetail.from_json(doc).to_json(kept) for doc in grant.authorization_details
            if doc.get("type") == VN_PROCEDURE]


def _id_token(p: Provider, client: Client, grant: Grant, scopes: frozenset[str], *,
              nonce: str | None, access: str) -> str:
    key = p.keys.signing_key(client.id_token_alg)
    now = int(p.now())
    d = grant.details
    claims: dict[str, Any] = {
        "iss": p.issuer, "sub": p.subject(client, grant.subject), "aud": client.client_id,
        # auth_time stays exact: portals need it for max_age (OIDC Core §3.1.2.1) and
        # every portal sees the login moment anyway, in when the browser comes back;
        # coarsening it would break max_age checks without unlinking anyone.
        "iat": now, "exp": now + p.settings.id_token_ttl, "auth_time": d["auth_time"],
        "acr": d["acr"], "amr": d["amr"], "sid": client_sid(p, client, d["sid"]),
        # OIDC Core §3.1.3.6: at_hash binds the access token to this ID token.
        "at_hash": token_hash(access, ALGORITHMS[key.alg]),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if (d.get("claims") or {}).get("id_token"):
        citizen = p.registry.get(grant.subject)
        released = requested_claims(p, citizen, grant, scopes, "id_token")
        if released:
            # Issue 14: the claims beyond the subject are a release, logged before the
            # token exists (a failed append leaves no token to send).
            record_release(p, citizen=grant.subject, client=client, action="id_token",
                           attributes=released, procedure=grant_procedure(grant),
                           basis=consent_basis(scopes))
        claims.update(released)
    # The mock may inject a named fault into this token (before any encryption).
    signed = p.mock.sign_id_token(claims, key) if p.mock is not None else sign_token(claims, key)
    if client.id_token_encryption is not None:  # OIDC Core §10.2: signed, then encrypted
        return encrypt_for(client, client.id_token_encryption, signed)
    return signed


def requested_claims(p: Provider, citizen: Citizen, grant: Grant, scopes: Iterable[str],
                     target: str) -> dict[str, Any]:
    """What the ``claims`` parameter asked for ``target`` (OIDC Core §5.5) releases now.

    * a claim a scope of this token releases comes as that scope releases it;
    * a claim no scope of the grant released was consented to one by one and comes
      by name (:func:`eid.prefill.claims_by_name`: no ID numbers);
    * a claim of a scope dropped when the refresh narrowed the scope (RFC 6749 §6)
      is not released: narrowing scopes narrows these claims too.
    """
    names = [n for n in (grant.details.get("claims") or {}).get(target, {})
             if n not in ("acr", "sub")]
    if not names:
        return {}
    current = set(p.catalogue.claim_names(scopes))
    consented = set(p.catalogue.claim_names(grant.scopes))
    out: dict[str, Any] = {}
    if any(n in current for n in names):
        values = claims_for(citizen, scopes, p.registry, catalogue=p.catalogue)
        out.update({n: values[n] for n in names if n in current and n in values})
    single = [n for n in names if n not in consented]
    if single:
        out.update(claims_by_name(citizen, single, p.registry, catalogue=p.catalogue))
    return out


def access_token_info(p: Provider, token: str) -> dict[str, Any] | None:
    """The live access token's record (with its grant), or ``None``."""
    data = p.ephemeral.get(access_token(_h(token)))
    if data is None or data["exp"] <= p.now():
        return None
    grant = p.durable.grant(data["grant_id"])
    if grant is None or grant.revoked_at is not None:
        return None
    return {**data, "grant": grant}


def revoke_token(p: Provider, client: Client, token: str) -> None:
    """RFC 7009 §2.1: revoke an access or refresh token of ``client``; unknown ones are fine."""
    info = p.ephemeral.get(access_token(_h(token)))
    if info is not None:
        if info["client_id"] == client.client_id:
            p.ephemeral.delete(access_token(_h(token)))
        return
    grant = p.durable.grant(token.partition(".")[0])
    if grant is not None and grant.client_id == client.client_id \
            and grant.refresh_hash == _h(token):
        # §2.1: revoking a refresh token also invalidates the access tokens of its grant.
        p.durable.revoke_grant(grant.grant_id, p.now())


def introspect(p: Provider, client: Client, token: str) -> dict[str, Any]:
    """RFC 7662 §2.2 for ``client``'s own tokens; anything else is simply inactive."""
    info = access_token_info(p, token)
    if info is not None and info["client_id"] == client.client_id:
        grant: Grant = info["grant"]
        body = {"active": True, "token_type": "DPoP" if "cnf" in info else "Bearer",
                "scope": " ".join(info["scopes"]),
                "client_id": client.client_id, "exp": int(info["exp"]), "iat": info["iat"],
                "sub": p.subject(client, grant.subject), "aud": client.client_id,
                "iss": p.issuer}
        if "cnf" in info:  # RFC 9449 §6.2: the resource server checks proofs against it
            body["cnf"] = info["cnf"]
        details = _granted_details(grant, info["scopes"])
        if details:  # RFC 9396 §9.2
            body["authorization_details"] = details
        _record_introspection(p, client, grant, info["scopes"])
        return body
    grant_or_none = p.durable.grant(token.partition(".")[0])
    if grant_or_none is not None and grant_or_none.client_id == client.client_id \
            and grant_or_none.refresh_hash == _h(token) and grant_or_none.live(p.now()):
        body = {"active": True, "token_type": "refresh_token",
                "scope": " ".join(sorted(grant_or_none.scopes)), "client_id": client.client_id,
                "exp": int(grant_or_none.expires_at),
                "sub": p.subject(client, grant_or_none.subject), "iss": p.issuer}
        if grant_or_none.details.get("jkt"):  # RFC 9449 §5: bound to the same key
            body["cnf"] = {"jkt": grant_or_none.details["jkt"]}
        details = _granted_details(grant_or_none, grant_or_none.scopes)
        if details:  # RFC 9396 §9.2
            body["authorization_details"] = details
        _record_introspection(p, client, grant_or_none, grant_or_none.scopes)
        return body
    return {"active": False}


def _record_introspection(p: Provider, client: Client, grant: Grant,
                          scopes: Iterable[str]) -> None:
    # Issue 14: an active answer tells the caller whose token it is (``sub``) and that
    # the citizen's grant is live; an inactive one says nothing about anybody.
    record_release(p, citizen=grant.subject, client=client, action="introspection",
                   attributes=("sub",), procedure=grant_procedure(grant),
                   basis=consent_basis(scopes))
