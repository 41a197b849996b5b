"""Obtaining a credential from an OpenID4VCI 1.0 credential issuer: a portal as the holder.

Framework-free, for a portal that holds an access token from a login whose scopes
include the credential's (authorization-code flow, OpenID4VCI 1.0 §3.4):

1. the issuer's metadata (§12.2): ``credential_issuer`` equal to the issuer asked for,
   a ``credential_endpoint`` and ``nonce_endpoint`` that are https (loopback http for
   development), and a configuration of format ``dc+sd-jwt`` that binds to a ``jwk``
   with a proof signed by the holder key's algorithm;
2. a fresh ``c_nonce`` from the nonce endpoint (§7);
3. a key proof (Appendix F.1): a JWT ``typ: openid4vci-proof+jwt`` with the holder's
   public key as ``jwk``, ``aud`` the credential issuer, ``nonce`` the ``c_nonce``,
   ``iat``, and ``iss`` the portal's client id (F.1: present unless the flow is
   anonymous);
4. the credential request (§8.2) with the access token, a DPoP proof when the token is
   DPoP-bound (RFC 9449 §7.1, the nonce retry of §9), answered by
   ``{"credentials": [{"credential": ...}]}`` (§8.3).

Every failure is an :class:`~eid.errors.EidError`: a :class:`~eid.errors.LoginError`
with its own code for what this side finds wrong, an :class:`~eid.errors.OAuthError`
carrying the issuer's error code (``invalid_proof``, ``invalid_token``...).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

from eid.errors import OAUTH_ERRORS, ConfigurationError, KeySourceError, LoginError, OAuthError
from eid.oidc.credential_metadata import SD_JWT_FORMAT, CredentialIssuerMetadata, metadata_url
from eid.oidc.dpop import DpopKey
from eid.oidc.http import HttpClient, HttpResponse, StdlibHttpClient
from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode
from eid.verify.remote import http_send

__all__ = [
    "PROOF_TYP",
    "SD_JWT_FORMAT",
    "CredentialClient",
    "CredentialHttp",
    "CredentialIssuerMetadata",
    "StdlibCredentialHttp",
    "credential_proof",
    "metadata_url",
]

#: OpenID4VCI 1.0 Appendix F.1: the key proof's ``typ``.
PROOF_TYP: Final = "openid4vci-proof+jwt"
_MAX_CREDENTIAL: Final = 64 * 1024  # one SD-JWT with a household: a few KB


def _now() -> float:
    # Looked up per call, so freezegun moves it.
    return time.time()


@runtime_checkable
class CredentialHttp(HttpClient, Protocol):
    """An :class:`~eid.oidc.HttpClient` that can also POST a JSON body (§8.2 asks for
    ``application/json``; the relying party's client only sends forms)."""

    def post_json(self, url: str, payload: Mapping[str, Any], *,
                  headers: dict[str, str] | None = None) -> HttpResponse: ...


class StdlibCredentialHttp(StdlibHttpClient):
    """:class:`CredentialHttp` on the same strict transport (timeouts, size cap, no
    redirects, https except to loopback)."""

    def post_json(self, url: str, payload: Mapping[str, Any], *,
                  headers: dict[str, str] | None = None) -> HttpResponse:
        """POST ``payload`` as JSON.

        :raises LoginError: ``insecure_url``/``invalid_url``, ``fetch_failed`` or
            ``response_too_large``.
        """
        body = json.dumps(payload, separators=(",", ":")).encode()
        try:
            status, got, data = http_send(
                "POST", url, headers={**(headers or {}), "Content-Type": "application/json"},
                body=body, connect_timeout=self._connect, read_timeout=self._read,
                max_bytes=self._max)
        except (ConfigurationError, KeySourceError) as exc:
            raise LoginError(exc.message, code=exc.code) from exc
        return HttpResponse(status, got, data)


def credential_proof(holder_key: SigningKey, *, audience: str, nonce: str, iat: int,
                     client_id: str | None = None) -> str:
    """A key proof of OpenID4VCI 1.0 Appendix F.1: ``typ: openid4vci-proof+jwt``, the
    holder's public key as ``jwk`` (no ``kid``: F.1 allows one key reference only),
    ``aud`` the credential issuer, ``nonce`` the ``c_nonce``, ``iat``, ``iss`` the client."""
    jwk = {k: v for k, v in holder_key.public_jwk.items() if k in ("kty", "crv", "x", "y",
                                                                   "n", "e")}
    claims: dict[str, Any] = {"aud": audience, "nonce": nonce, "iat": iat}
    if client_id is not None:
        claims["iss"] = client_id
    # Signed from our own header: sign_token would add a kid, and F.1 allows one key
    # reference only (jwk here).
    header = {"typ": PROOF_TYP, "alg": holder_key.alg, "jwk": jwk}
    return sign_segments(_segment(header), _segment(claims), holder_key)


def _segment(obj: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def _issuer_error(resp: HttpResponse) -> OAuthError | LoginError:
    try:
        body = resp.json()
    except LoginError:
        body = None
    code = body.get("error") if isinstance(body, dict) else None
    if resp.status == 401 and code is None:
        # RFC 6750 §3: a refused token may answer with WWW-Authenticate alone.
        challenge = resp.headers.get("www-authenticate", "")
        code = "invalid_token" if "invalid_token" in challenge else None
    if isinstance(code, str) and code.isascii() and 0 < len(code) < 64:
        text = body.get("error_description") if isinstance(body, dict) else None
        cls = OAUTH_ERRORS.get(code, OAuthError)
        return cls(text if isinstance(text, str) else "", code=code)
    return LoginError(f"the credential issuer answered HTTP {resp.status}",
                      code="credential_request_failed")


class CredentialClient:
    """A portal's credential requests to one credential issuer, with one holder key.

    :param issuer: the credential issuer identifier (the login service's issuer).
    :param holder_key: the portal's key the credential is bound to (``cnf.jwk``).
    :param client_id: the portal's client id (the proof's ``iss``).
    :param dpop: the key the access tokens are bound to, for DPoP-bound tokens.
    """

    def __init__(self, *, issuer: str, holder_key: SigningKey, client_id: str | None = None,
                 http: CredentialHttp | None = None, dpop: DpopKey | None = None,
                 clock: Callable[[], float] | None = None, metadata_ttl: float = 3600) -> None:
        self.issuer, self.holder_key, self.client_id = issuer, holder_key, client_id
        self._http: CredentialHttp = http or StdlibCredentialHttp()
        self._dpop, self._clock = dpop, clock or _now
        self._ttl = metadata_ttl
        self._lock = threading.Lock()
        self._metadata: tuple[float, CredentialIssuerMetadata] | None = None
        self._dpop_nonce: str | None = None

    def metadata(self) -> CredentialIssuerMetadata:
        """The issuer's checked metadata, cached for ``metadata_ttl`` seconds.

        :raises LoginError: ``credential_issuer_unavailable``, ``credential_issuer_mismatch``,
            ``credential_issuer_metadata_invalid``.
        """
        with self._lock:
            cached = self._metadata
            if cached is not None and self._clock() < cached[0]:
                return cached[1]
            resp = self._http.request("GET", metadata_url(self.issuer))
            if resp.status != 200:
                raise LoginError(f"the credential issuer metadata answered HTTP {resp.status}",
                                 code="credential_issuer_unavailable")
            meta = CredentialIssuerMetadata.parse(resp.json(), issuer=self.issuer)
            self._metadata = (self._clock() + self._ttl, meta)
            return meta

    def _c_nonce(self, meta: CredentialIssuerMetadata) -> str:
        if meta.nonce_endpoint is None:
            raise LoginError("the credential issuer has no nonce endpoint",
                             code="credential_issuer_metadata_invalid")
        resp = self._http.request("POST", meta.nonce_endpoint)  # §7.1: an empty POST
        if resp.status != 200:
            raise LoginError(f"the nonce endpoint answered HTTP {resp.status}",
                             code="nonce_request_failed")
        body = resp.json()
        nonce = body.get("c_nonce") if isinstance(body, dict) else None
        if not isinstance(nonce, str) or not 0 < len(nonce) <= 512:
            raise LoginError("the nonce endpoint gave no c_nonce", code="nonce_request_failed")
        return nonce

    def _send(self, url: str, payload: dict[str, Any], access_token: str,
              token_type: str) -> HttpResponse:
        if token_type.lower() != "dpop":
            return self._http.post_json(url, payload,
                                        headers={"Authorization": f"Bearer {access_token}"})
        if self._dpop is None:
            raise LoginError("the access token is DPoP-bound and no DPoP key is given",
                             code="dpop_key_required")
        resp = None
        for _ in range(2):  # RFC 9449 §9: once more with the resource server's nonce
            proof = self._dpop.proof("POST", url, access_token=access_token,
                                     nonce=self._dpop_nonce)
            resp = self._http.post_json(url, payload, headers={
                "Authorization": f"DPoP {access_token}", "DPoP": proof})
            nonce = resp.headers.get("dpop-nonce")
            if nonce:
                self._dpop_nonce = nonce
            if not (nonce and resp.status in (400, 401)
                    and "use_dpop_nonce" in resp.headers.get("www-authenticate", "")):
                break
        assert resp is not None  # noqa: S101 - the loop ran
        return resp

    def request(self, access_token: str, *, token_type: str = "Bearer",  # noqa: S107
                configuration_id: str | None = None, scope: str | None = None,
                vct: str | None = None) -> str:
        """One credential (the issuer's SD-JWT, ``<jwt>~<disclosures>~``) for the
        citizen of ``access_token``, bound to the holder key.

        The configuration: ``configuration_id``, or the SD-JWT VC one requested by
        ``scope`` / issuing ``vct``. A refused ``c_nonce`` (``invalid_nonce``, §8.3.1.2)
        is fetched again once.

        :raises LoginError: the metadata or the answer is unusable (codes above and
            ``credential_deferred``, ``bad_credential_response``).
        :raises OAuthError: the issuer's error (``invalid_token``, ``insufficient_scope``,
            ``invalid_proof``, ``credential_request_denied``...).
        """
        meta = self.metadata()
        config_id = meta.choose(alg=self.holder_key.alg, configuration_id=configuration_id,
                                scope=scope, vct=vct)
        for attempt in range(2):
            proof = credential_proof(self.holder_key, audience=meta.credential_issuer,
                                     nonce=self._c_nonce(meta), iat=int(self._clock()),
                                     client_id=self.client_id)
            payload = {"credential_configuration_id": config_id, "proofs": {"jwt": [proof]}}
            resp = self._send(meta.credential_endpoint, payload, access_token, token_type)
            if resp.status == 200:
                return _credential(resp)
            if resp.status == 202:
                raise LoginError("the issuer deferred the credential; this holder does not "
                                 "poll for it", code="credential_deferred")
            err = _issuer_error(resp)
            if err.code != "invalid_nonce" or attempt:
                raise err
        raise AssertionError("unreachable")  # pragma: no cover


def _credential(resp: HttpResponse) -> str:
    body = resp.json()
    items = body.get("credentials") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise LoginError("the credential response does not hold one credential",
                         code="bad_credential_response")
    credential = items[0].get("credential")
    if not isinstance(credential, str) or not credential.isascii() \
            or not 0 < len(credential) <= _MAX_CREDENTIAL or "~" not in credential:
        raise LoginError("the credential is not an SD-JWT", code="bad_credential_response")
    return credential

