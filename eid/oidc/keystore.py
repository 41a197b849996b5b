"""The provider's signing keys: created on first start, kept durably, rotated.

One current key per algorithm (ES256 by default for ID tokens, RS256 for
clients that ask for it). Rotation adds a new current key and retires the old
one, whose public half stays in the JWKS for ``retain`` seconds so tokens it
signed still verify (OIDC Core §10.1.1).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from eid.errors import ConfigurationError
from eid.signing import SigningKey
from eid.storage.durable import DurableStore, StoredKey

__all__ = ["DEFAULT_ALGS", "KeyStore"]

DEFAULT_ALGS: Final = ("ES256", "RS256")


class KeyStore:
    """Signing keys backed by a :class:`DurableStore`."""

    def __init__(self, store: DurableStore, *, algs: Iterable[str] = DEFAULT_ALGS,
                 retain: float = 7 * 86_400, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._algs = tuple(algs)
        self._retain = retain
        self._clock = clock
        self._lock = threading.Lock()
        self._current: dict[str, SigningKey] = {}
        self._jwks: dict[str, Any] = {"keys": []}
        with self._lock:
            self._load(create_missing=True)

    def _load(self, *, create_missing: bool) -> None:
        stored = self._store.signing_keys()
        now = self._clock()
        if create_missing:
            have = {k.alg for k in stored if k.retired_at is None}
            for alg in self._algs:
                if alg not in have:
                    stored.append(self._create(alg, now))
        current: dict[str, SigningKey] = {}
        public: list[dict[str, str]] = []
        for key in stored:
            if key.retired_at is not None and now - key.retired_at > self._retain:
                continue
            signer = SigningKey.from_jwk(key.private_jwk)
            public.append(dict(signer.public_jwk))
            if key.retired_at is None:
                current[key.alg] = signer  # ordered by creation: the newest wins
        self._current = current
        self._jwks = {"keys": public}

    def _create(self, alg: str, now: float) -> StoredKey:
        kid = f"{alg.lower()}-{int(now)}-{secrets.token_hex(4)}"
        _, jwk = SigningKey.generate(alg, kid)
        stored = StoredKey(kid, alg, jwk, now)
        self._store.add_key(stored)
        return stored

    def signing_key(self, alg: str) -> SigningKey:
        """The current key for ``alg``.

        :raises ConfigurationError: ``unsupported_algorithm`` when no key is kept for it.
        """
        key = self._current.get(alg)
        if key is None:
            raise ConfigurationError(f"no signing key for {alg}", code="unsupported_algorithm")
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: current keys and recently retired ones."""
        return self._jwks

    @property
    def algorithms(self) -> tuple[str, ...]:
        """Algorithms this store signs with."""
        return self._algs

    def rotate(self, alg: str | None = None) -> None:
        """Retire the current key of ``alg`` (or of every algorithm) and create a new one."""
        with self._lock:
            now = self._clock()
            for a in (alg,) if alg else self._algs:
                old = self._current.get(a)
                if old is not None:
                    self._store.retire_key(old.kid, now)
                self._create(a, now)
            self._load(create_missing=False)
