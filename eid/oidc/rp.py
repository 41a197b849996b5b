"""The relying party: a portal's side of the OpenID Connect code flow.

Framework-free. ``start_login`` returns the URL to send the citizen to and a
:class:`PendingLogin` to keep (in the portal's session); ``complete_login``
takes the callback parameters and that state and returns one
:class:`LoginResult`, or raises an :class:`~eid.errors.EidError` whose code a
portal can show: an :class:`~eid.errors.OAuthError` subclass for errors the
provider returned (``access_denied``, ``login_required``...), a
:class:`~eid.errors.LoginError` for the rest, a
:class:`~eid.errors.TokenError` for an ID token that fails verification.

Secure by default: PKCE S256, ``state`` and ``nonce`` on every login
(RFC 9700 §2.1), the ``iss`` response parameter checked (RFC 9207), pushed
authorization requests when the provider requires them (RFC 9126).
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Literal

from eid.errors import OAUTH_ERRORS, ConfigurationError, LoginError, OAuthError
from eid.oidc.authorization_details import procedure_request
from eid.oidc.discovery import ProviderMetadata
from eid.oidc.dpop import DpopKey
from eid.oidc.http import HttpClient, HttpResponse, StdlibHttpClient, basic_auth
from eid.oidc.locales import language_tags
from eid.oidc.pkce import make_pkce
from eid.oidc.session import LoginResult, PendingLogin, TokenSet
from eid.signing import SigningKey, sign_token
from eid.verify import (
    ACR_LEVELS,
    DecryptionKeys,
    FetchResult,
    IdTokenClaims,
    KeySourceError,
    RemoteKeySource,
    decrypt_nested_jwt,
    logout_jti_retention,
    verify_id_token,
    verify_logout_token,
    verify_userinfo_jwt,
)
from eid.verify.jws import Jwks

__all__ = ["AuthMethod", "RelyingParty"]


def _now() -> float:
    # time.time looked up at each call (not bound as a default argument), so that
    # freezegun moves the default clock too.
    return time.time()


AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: How long a started login may take before its callback is refused.
PENDING_LIFETIME = 600


class RelyingParty:
    """One portal registered with one provider.

    :param issuer: the provider's issuer URL (discovery starts there).
    :param redirect_uri: this portal's registered callback URL.
    :param keys: the provider's keys; by default fetched through discovery.
    :param use_par: push authorization requests (RFC 9126) even when the
        provider does not require it.
    :param client_secret: for ``client_secret_basic`` (default) or ``client_secret_post``.
    :param private_key: instead of a secret, for ``private_key_jwt`` (OIDC Core §9).
    :param dpop: sender-constrain tokens with DPoP (RFC 9449): ``True`` for a
        fresh key, or a :class:`DpopKey`.
    :param decryption_keys: the portal's private encryption keys (a
        :class:`DecryptionKeys` or a private JWKS), for encrypted ID tokens and userinfo.
    :param require_encrypted_id_token: refuse a plain ID token; by default
        ``True`` exactly when ``decryption_keys`` are given (downgrade protection).
    :param require_signed_userinfo: refuse userinfo answered as plain JSON.
    :param require_encrypted_userinfo: refuse userinfo that is not encrypted.
    """

    def __init__(
        self, *, issuer: str, client_id: str, redirect_uri: str,
        client_secret: str | None = None, private_key: SigningKey | None = None,
        scopes: tuple[str, ...] = ("openid", "profile"),
        auth_method: AuthMethod | None = None,
        use_par: bool = False, dpop: DpopKey | bool = False, leeway: float = 60,
        http: HttpClient | None = None, keys: Jwks | None = None,
        clock: Callable[[], float] | None = None,
        decryption_keys: DecryptionKeys | Mapping[str, Any] | None = None,
        require_encrypted_id_token: bool | None = None,
        require_signed_userinfo: bool = False, require_encrypted_userinfo: bool = False,
    ) -> None:
        if "openid" not in scopes:
            raise ConfigurationError("scopes must include 'openid'", code="invalid_argument")
        if not client_id or (not client_secret) == (private_key is None):
            raise ConfigurationError("client_id and exactly one of client_secret or "
                                     "private_key are required", code="invalid_argument")
        auth_method = auth_method or ("private_key_jwt" if private_key
                                      else "client_secret_basic")
        if (auth_method == "private_key_jwt") != (private_key is not None):
            raise ConfigurationError(f"{auth_method} does not fit the credential given",
                                     code="invalid_argument")
        self.issuer, self.client_id, self.redirect_uri = issuer, client_id, redirect_uri
        self.scopes = scopes
        self._secret, self._private_key = client_secret or "", private_key
        self._auth_method: AuthMethod = auth_method
        self._use_par, self._leeway = use_par, leeway
        self._clock: Callable[[], float] = clock or _now
        self._http = http or StdlibHttpClient()
        self.metadata = ProviderMetadata(issuer, self._http)
        self._keys = keys
        # RFC 9449: bind tokens to a key this portal holds (True: a fresh ES256 key).
        self._dpop = DpopKey(clock=self._clock) if dpop is True else (dpop or None)
        self._dpop_nonces: dict[str, str] = {}
        self._decryption_keys = (decryption_keys if decryption_keys is None
                                 or isinstance(decryption_keys, DecryptionKeys)
                                 else DecryptionKeys.from_jwks(decryption_keys))
        self._require_encrypted_id_token = (decryption_keys is not None
                                            if require_encrypted_id_token is None
                                            else require_encrypted_id_token)
        if (self._require_encrypted_id_token or require_encrypted_userinfo) \
                and self._decryption_keys is None:
            raise ConfigurationError("requiring encryption needs decryption_keys",
                                     code="invalid_argument")
        self._require_signed_userinfo = require_signed_userinfo or require_encrypted_userinfo
        self._require_encrypted_userinfo = require_encrypted_userinfo

    # --- keys -------------------------------------------------------------------------
    def _fetch(self, url: str) -> FetchResult:
        resp = self._http.request("GET", url)
        if resp.status != 200:
            raise KeySourceError(f"GET {url} answered HTTP {resp.status}", code="fetch_failed")
        return FetchResult(resp.body, resp.headers.get("cache-control"))

    @property
    def keys(self) -> Jwks:
        """The provider's keys (a cached :class:`RemoteKeySource` by default)."""
        if self._keys is None:
            self._keys = RemoteKeySource(self.issuer, jwks_uri=self.metadata.endpoint("jwks_uri"),
                                         fetch=self._fetch)
        return self._keys

    # --- starting -----------------------------------------------------------------
    def start_login(
        self, *, acr: str | None = None, prompt: str | None = None,
        max_age: int | None = None, ui_locales: str | None = None,
        login_hint: str | None = None, scopes: tuple[str, ...] | None = None,
        procedure: str | None = None,
    ) -> tuple[str, PendingLogin]:
        """The authorization URL and the state to keep until the callback.

        :param acr: the assurance level required (sent as ``acr_values`` and
            enforced on the returned ID token).
        :param ui_locales: the citizen's preferred languages, most preferred first
            (OIDC Core §3.1.2.1: space-separated BCP 47 tags, e.g. ``"en vi"``); the
            provider shows its login and consent screens in the first it supports.
        :param procedure: the code of the administrative procedure this login serves,
            sent as RFC 9396 ``vn_procedure`` authorization details whose attributes are
            the requested scopes; the token response must grant it back.
        :raises ConfigurationError: an unknown ``acr``; ``invalid_argument`` for a
            ``ui_locales`` that is not a list of language tags.
        :raises LoginError: discovery failed, or the pushed request was refused.
        """
        if acr is not None and acr not in ACR_LEVELS:
            raise ConfigurationError(f"unknown acr {acr!r}", code="unknown_acr")
        if ui_locales is not None:
            tags = language_tags(ui_locales)
            if not tags or " ".join(tags) != ui_locales:
                raise ConfigurationError(f"ui_locales is not a list of language tags: "
                                         f"{ui_locales!r}", code="invalid_argument")
        verifier, challenge = make_pkce()
        pending = PendingLogin(
            state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
            code_verifier=verifier, redirect_uri=self.redirect_uri, acr=acr,
            max_age=max_age, created_at=self._clock(), procedure=procedure)
        scope_list = scopes or self.scopes
        params = {
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "scope": " ".join(scope_list),
            "state": pending.state, "nonce": pending.nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        }
        optional = {"acr_values": acr, "prompt": prompt, "ui_locales": ui_locales,
                    "login_hint": login_hint,
                    "max_age": None if max_age is None else str(max_age),
                    "authorization_details": None if procedure is None
                    else procedure_request(procedure, scope_list)}
        params.update({k: v for k, v in optional.items() if v is not None})
        endpoint = self.metadata.endpoint("authorization_endpoint")
        if self._use_par or self.metadata.get("require_pushed_authorization_requests") is True:
            params = {"client_id": self.client_id, "request_uri": self._push(params)}
        sep = "&" if urllib.parse.urlsplit(endpoint).query else "?"
        return endpoint + sep + urllib.parse.urlencode(params), pending

    def _push(self, params: dict[str, str]) -> str:
        # RFC 9126 §2: the request goes to the provider directly, authenticated.
        resp = self._post("pushed_authorization_request_endpoint", params)
        body = self._ok_json(resp, expect=201)
        uri = body.get("request_uri")
        if not isinstance(uri, str):
            raise LoginError("the pushed request returned no request_uri", code="bad_response")
        return uri

    # --- completing -----------------------------------------------------------------
    def complete_login(self, params: Mapping[str, str], pending: PendingLogin) -> LoginResult:
        """Check the callback, redeem the code, verify the ID token, fetch userinfo.

        :raises OAuthError: the provider answered with an OAuth error.
        :raises LoginError: ``login_expired``, ``state_mismatch``, ``issuer_mismatch``,
            ``missing_code``, ``bad_response``, ``userinfo_sub_mismatch``...
        :raises TokenError: the ID token failed verification.

        An encrypted ID token is decrypted and ``result.tokens.id_token`` is the signed
        token inside (what ``id_token_hint`` takes, OIDC Core §3.1.2.1).
        """
        if self._clock() - pending.created_at > PENDING_LIFETIME:
            raise LoginError("the login took too long; start again", code="login_expired")
        state = params.get("state")
        if not isinstance(state, str) or not hmac.compare_digest(state, pending.state):
            raise LoginError("state does not match this login (possible CSRF)",
                             code="state_mismatch")
        iss = params.get("iss")
        # RFC 9207 §2.4: required when the provider advertises it; always compared.
        if iss is None and self.metadata.get("authorization_response_iss_parameter_supported"):
            raise LoginError("the response lacks iss", code="issuer_mismatch")
        if iss is not None and iss != self.issuer:
            raise LoginError("the response comes from another issuer (mix-up)",
                             code="issuer_mismatch")
        if "error" in params:
            raise _oauth_error(params.get("error"), params.get("error_description"))
        code = params.get("code")
        if not code:
            raise LoginError("the response has no code", code="missing_code")
        tokens = self._token_request({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": pending.redirect_uri, "code_verifier": pending.code_verifier})
        if tokens.id_token is None:
            raise LoginError("the token response has no id_token", code="bad_response")
        if pending.procedure is not None and tokens.procedure != pending.procedure:
            # RFC 9396 §7: the grant is for what the token response says; data released
            # for another purpose (or none) must not fill this procedure's forms.
            raise LoginError("the provider did not grant the requested procedure",
                             code="procedure_not_granted")
        verified, signed = self._verify_id_token(
            tokens.id_token, nonce=pending.nonce, max_age=pending.max_age,
            min_acr=pending.acr, access_token=tokens.access_token)
        claims: dict[str, Any] = dict(verified)
        # OIDC Core §3.1.2.1: an id_token_hint is the signed token, decrypted first.
        tokens = dataclasses.replace(tokens, id_token=signed)
        userinfo = self.userinfo(tokens.access_token, subject=claims["sub"])
        return LoginResult(subject=claims["sub"], acr=claims.get("acr"), id_token_claims=claims,
                           userinfo=userinfo, tokens=tokens)

    def _verify_id_token(self, token: str, **checks: Any) -> tuple[IdTokenClaims, str]:
        """The claims of an ID token and the signed token itself, decrypted first when it
        is a JWE (OIDC Core §10.2)."""
        if self._decryption_keys is not None and token.count(".") == 4:
            token = decrypt_nested_jwt(token, self._decryption_keys)
        elif self._require_encrypted_id_token:
            raise LoginError("the ID token is not encrypted, and this portal expects it to be",
                             code="id_token_not_encrypted")
        return verify_id_token(token, issuer=self.issuer, audience=self.client_id,
                               jwks=self.keys, leeway=self._leeway, now=self._clock(),
                               **checks), token

    def userinfo(self, access_token: str, *, subject: str) -> dict[str, Any]:
        """Userinfo claims; ``{}`` when the provider has no userinfo endpoint.

        JSON, or a signed or signed-then-encrypted JWT (``application/jwt``, OIDC Core
        §5.3.2), told apart by the content type.

        :raises LoginError: ``userinfo_sub_mismatch`` (OIDC Core §5.3.4),
            ``userinfo_not_signed``, ``userinfo_not_encrypted``,
            ``unexpected_content_type`` or ``bad_response``.
        :raises TokenError: a signed userinfo fails :func:`verify_userinfo_jwt`.
        """
        if not self.metadata.get("userinfo_endpoint"):
            return {}
        url = self.metadata.endpoint("userinfo_endpoint")
        if self._dpop is None:
            resp = self._http.request("GET", url,
                                      headers={"Authorization": f"Bearer {access_token}"})
        else:
            resp = self._with_dpop("GET", url, lambda: ({}, None), access_token=access_token)
        body = self._userinfo_claims(resp)
        if body.get("sub") != subject:
            raise LoginError("userinfo is about another subject", code="userinfo_sub_mismatch")
        return body

    def _userinfo_claims(self, resp: HttpResponse) -> dict[str, Any]:
        media = resp.headers.get("content-type", "").partition(";")[0].strip().lower()
        if resp.status != 200 or media == "application/json":
            if resp.status == 200 and self._require_signed_userinfo:
                raise LoginError("userinfo is not signed", code="userinfo_not_signed")
            return self._ok_json(resp)
        if media != "application/jwt":
            raise LoginError(f"userinfo answered with content type {media!r}",
                             code="unexpected_content_type")
        try:
            token = resp.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise LoginError("userinfo JWT is not ASCII", code="bad_response") from None
        if self._require_encrypted_userinfo and token.count(".") != 4:
            raise LoginError("userinfo is not encrypted", code="userinfo_not_encrypted")
        return verify_userinfo_jwt(token, issuer=self.issuer, audience=self.client_id,
                                   jwks=self.keys, decryption_keys=self._decryption_keys)

    # --- afterwards -------------------------------------------------------------------
    def refresh(self, refresh_token: str, *, subject: str) -> TokenSet:
        """Redeem a refresh token (the provider may rotate it: keep the new one).

        :raises OAuthError: e.g. ``invalid_grant`` for a used or revoked token.
        """
        tokens = self._token_request({"grant_type": "refresh_token",
                                      "refresh_token": refresh_token})
        if tokens.id_token is not None:
            claims, signed = self._verify_id_token(tokens.id_token)
            tokens = dataclasses.replace(tokens, id_token=signed)
            if claims.get("sub") != subject:  # OIDC Core §12.2
                raise LoginError("refreshed ID token is about another subject",
                                 code="sub_mismatch")
        return tokens

    def revoke(self, token: str, *, hint: str = "refresh_token") -> None:
        """Revoke a token (RFC 7009).

        :raises OAuthError: the provider refused.
        """
        self._ok_json(self._post("revocation_endpoint", {"token": token,
                                                         "token_type_hint": hint}), empty_ok=True)

    def logout_url(self, *, id_token_hint: str | None = None,
                   post_logout_redirect_uri: str | None = None, state: str | None = None) -> str:
        """The provider's RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0).

        :raises LoginError: ``not_supported`` when the provider has no end-session endpoint.
        """
        params = {"client_id": self.client_id, "id_token_hint": id_token_hint,
                  "post_logout_redirect_uri": post_logout_redirect_uri, "state": state}
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v})
        return f"{self.metadata.endpoint('end_session_endpoint')}?{query}"

    def verify_logout_token(self, token: str) -> dict[str, Any]:
        """Verify a back-channel logout token; the caller ends the sessions it names.

        :raises TokenError: the token is not a valid logout token for this client.
        """
        return verify_logout_token(token, issuer=self.issuer, audience=self.client_id,
                                   jwks=self.keys, leeway=self._leeway, now=self._clock())

    def logout_jti_retention(self) -> float:
        """Seconds to remember a logout token's ``jti``: as long as it could be accepted."""
        return logout_jti_retention(leeway=self._leeway)

    # --- plumbing -----------------------------------------------------------------------
    def _post(self, endpoint: str, form: dict[str, str]) -> HttpResponse:
        url = self.metadata.endpoint(endpoint)
        if self._dpop is not None and endpoint in ("token_endpoint",
                                                   "pushed_authorization_request_endpoint"):
            return self._with_dpop("POST", url, lambda: self._authenticated(form))
        headers, body = self._authenticated(form)
        return self._http.request("POST", url, headers=headers, form=body)

    def _authenticated(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """``(headers, body)`` of ``form`` with this client's authentication. Built anew
        for each send: a client assertion is single-use (RFC 7523 §3, ``jti``), so the
        DPoP nonce retry must not replay the first one."""
        headers: dict[str, str] = {}
        body = dict(form)
        if self._auth_method == "client_secret_basic":
            headers["Authorization"] = basic_auth(self.client_id, self._secret)
        elif self._auth_method == "client_secret_post":
            body.update(client_id=self.client_id, client_secret=self._secret)
        else:
            body.update(client_id=self.client_id, client_assertion_type=_JWT_BEARER,
                        client_assertion=self._client_assertion())
        return headers, body

    def _client_assertion(self) -> str:
        # OIDC Core §9 private_key_jwt (RFC 7523 §3): iss = sub = client_id, aud = the
        # issuer (RFC 7523 allows it; accepted at every endpoint), single use by jti.
        assert self._private_key is not None  # noqa: S101 - checked in __init__
        now = int(self._clock())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.issuer,
                  "jti": secrets.token_urlsafe(24), "iat": now, "exp": now + 60}
        return sign_token(claims, self._private_key, typ=None)

    def _with_dpop(self, method: str, url: str,
                   request: Callable[[], tuple[dict[str, str], dict[str, str] | None]], *,
                   access_token: str | None = None) -> HttpResponse:
        """Send with a DPoP proof; retry once with the server's nonce (RFC 9449 §8, §9).

        ``request`` gives the headers and form of each try (see :meth:`_authenticated`).
        """
        assert self._dpop is not None  # noqa: S101 - callers check
        origin = urllib.parse.urlsplit(url).netloc
        resp = None
        for _ in range(2):
            headers, form = request()
            extra = dict(headers)
            extra["DPoP"] = self._dpop.proof(method, url, access_token=access_token,
                                             nonce=self._dpop_nonces.get(origin))
            if access_token is not None:
                extra["Authorization"] = f"DPoP {access_token}"
            resp = self._http.request(method, url, headers=extra, form=form)
            nonce = resp.headers.get("dpop-nonce")
            if nonce:
                self._dpop_nonces[origin] = nonce
            challenge = resp.headers.get("www-authenticate", "") + resp.body.decode(
                "utf-8", "replace")[:200]
            if not (nonce and resp.status in (400, 401) and "use_dpop_nonce" in challenge):
                break
        assert resp is not None  # noqa: S101 - the loop ran
        return resp

    def _token_request(self, form: dict[str, str]) -> TokenSet:
        body = self._ok_json(self._post("token_endpoint", form))
        return TokenSet.from_response(body, now=self._clock())

    @staticmethod
    def _ok_json(resp: HttpResponse, *, expect: int = 200, empty_ok: bool = False
                 ) -> dict[str, Any]:
        if resp.status == expect:
            if empty_ok and not resp.body.strip():
                return {}
            body = resp.json()
            if not isinstance(body, dict):
                raise LoginError("the provider's answer is not an object", code="bad_response")
            return body
        try:
            err = resp.json()
        except LoginError:
            err = {}
        if isinstance(err, dict) and isinstance(err.get("error"), str):
            raise _oauth_error(err["error"], err.get("error_description"))
        raise LoginError(f"the provider answered HTTP {resp.status}", code="bad_response")


def _oauth_error(code: object, description: object) -> OAuthError:
    text = description if isinstance(description, str) else ""
    name = code if isinstance(code, str) and code.isascii() and len(code) < 64 else "server_error"
    cls = OAUTH_ERRORS.get(name, OAuthError)
    return cls(text, code=name)
