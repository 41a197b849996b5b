"""An in-process OpenID provider for unit tests: its own keys, JWKS and tokens.

Mints ID tokens, access tokens, logout tokens and userinfo for any fixture
citizen (or any subject), with any claim overridden and any named fault
injected. Times come from ``time.time()`` at minting, so tokens minted under
freezegun carry the frozen clock's times.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from eid.oidc.subjects import pairwise_subject
from eid.population.model import Citizen
from eid.population.registry import Registry
from eid.prefill import claims_for
from eid.signing import SigningKey, public_jwks, sign_token
from eid.testing.faults import check_fault, sign_with_fault
from eid.verify import ALGORITHMS, BACKCHANNEL_LOGOUT_EVENT, KeySet, token_hash

__all__ = ["TestIssuer"]


class TestIssuer:
    """A test identity provider living in the test process.

    :param issuer: the ``iss`` of its tokens.
    :param registry: citizens it can mint for (default: the fixture identities).
    :param alg: signing algorithm (ES256, RS256, PS256 or EdDSA).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, issuer: str = "https://login.eid.test", *,
                 registry: Registry | None = None, alg: str = "ES256") -> None:
        self.issuer = issuer
        self._alg = alg
        self._registry = registry
        self._lock = threading.Lock()
        self._pairwise_secret = secrets.token_bytes(32)
        self._current = self._new_key()
        self._keys: list[SigningKey] = [self._current]

    def _new_key(self) -> SigningKey:
        key, _ = SigningKey.generate(self._alg, f"test-{self._alg.lower()}-{uuid.uuid4().hex[:8]}")
        return key

    @property
    def registry(self) -> Registry:
        """The citizens this issuer knows (the fixture identities unless given)."""
        if self._registry is None:
            from eid.population.fixtures import load_fixture_registry

            self._registry = load_fixture_registry()
        return self._registry

    # --- keys -------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        """The public JWKS (current key and any not yet dropped after rotation)."""
        with self._lock:
            return public_jwks(list(self._keys))

    def key_set(self) -> KeySet:
        """The JWKS as a :class:`KeySet`, ready for ``verify_id_token(jwks=...)``."""
        return KeySet.from_jwks(self.jwks())

    def rotate(self, *, keep_old: bool = True) -> SigningKey:
        """Sign with a new key from now on; the old one stays published unless told."""
        with self._lock:
            self._current = self._new_key()
            self._keys = [*self._keys, self._current] if keep_old else [self._current]
            return self._current

    # --- subjects and claims ----------------------------------------------------------
    def citizen(self, persona: str | Citizen) -> Citizen:
        """The citizen for an ID number (or the citizen itself)."""
        return persona if isinstance(persona, Citizen) else self.registry.get(persona)

    def subject(self, persona: str | Citizen, audience: str) -> str:
        """The pairwise ``sub`` this issuer gives ``persona`` at ``audience``."""
        return pairwise_subject(self._pairwise_secret, audience, self.citizen(persona).id_number)

    def userinfo(self, persona: str | Citizen, scopes: Iterable[str], *, audience: str,
                 overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Userinfo claims for ``persona`` under ``scopes``, as the login service releases them."""
        citizen = self.citizen(persona)
        claims: dict[str, Any] = {"sub": self.subject(citizen, audience),
                                  **claims_for(citizen, list(scopes), self.registry)}
        claims.update(overrides or {})
        return claims

    # --- tokens -----------------------------------------------------------------------
    def id_token(self, persona: str | Citizen | None = None, *, audience: str,
                 nonce: str | None = None, acr: str | None = None, sub: str | None = None,
                 access_token: str | None = None, lifetime: int = 300,
                 claims: Mapping[str, Any] | None = None, fault: str | None = None) -> str:
        """A signed ID token. ``acr`` defaults to the persona's account level.

        :raises ConfigurationError: an unknown ``fault`` name.
        :raises NotFoundError: an unknown persona.
        """
        injected = check_fault(fault)
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": audience, "iat": now,
                                "exp": now + lifetime, "auth_time": now, "amr": ["pwd"],
                                "sid": uuid.uuid4().hex}
        if persona is not None:
            citizen = self.citizen(persona)
            body["sub"] = self.subject(citizen, audience)
            body["acr"] = citizen.account.level if citizen.account else "LoA1"
        if sub is not None:
            body["sub"] = sub
        if acr is not None:
            body["acr"] = acr
        if nonce is not None:
            body["nonce"] = nonce
        if access_token is not None:
            body["at_hash"] = token_hash(access_token, ALGORITHMS[self._current.alg])
        body.update(claims or {})
        body.setdefault("sub", "test-subject")
        return sign_with_fault(body, self._current, injected)

    def access_token(self, persona: str | Citizen | None = None, *, audience: str,
                     scopes: Iterable[str] = ("openid",), lifetime: int = 300,
                     claims: Mapping[str, Any] | None = None) -> str:
        """A JWT access token (RFC 9068, ``typ: at+jwt``)."""
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": audience, "client_id": audience,
                                "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex,
                                "scope": " ".join(scopes),
                                "sub": self.subject(persona, audience) if persona else "test"}
        body.update(claims or {})
        return sign_token(body, self._current, typ="at+jwt")

    def logout_token(self, *, audience: str, sid: str | None = None, sub: str | None = None,
                     claims: Mapping[str, Any] | None = None) -> str:
        """A back-channel logout token (Back-Channel Logout 1.0 §2.4)."""
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": audience, "iat": now,
                                "exp": now + 120, "jti": uuid.uuid4().hex,
                                "events": {BACKCHANNEL_LOGOUT_EVENT: {}}}
        if sid:
            body["sid"] = sid
        if sub:
            body["sub"] = sub
        body.update(claims or {})
        return sign_token(body, self._current, typ="logout+jwt")
