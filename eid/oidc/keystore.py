"""The provider's signing keys: created on first start, kept durably, rotated without a gap.

One signing key per algorithm (ES256 by default for ID tokens, RS256 for
clients that ask for it). Every key goes through three states, all derived
from times kept in the durable store, so every worker and instance sharing
the store agrees on them without coordination:

* ``next``: published in the JWKS, not signing yet; it activates at ``activates_at``.
* ``current``: the newest key whose ``activates_at`` has passed; it signs.
* ``retired``: replaced (its successor activated); still published for
  ``retain`` seconds so every token it signed verifies until it expires
  (OIDC Core §10.1.1), then unpublished (kept in the store, never used again).

Why a rotation cannot break a portal: a portal verifies with the JWKS it
cached, refetched at most every ``max-age`` seconds (``RemoteKeySource``
follows ``Cache-Control``). The service sends ``max-age=JWKS_MAX_AGE``; a shared
HTTP cache in between may serve a copy that is already ``max-age`` old (the
portal does not subtract ``Age``), and a running service sees a rotation made
by another process within ``RELOAD_INTERVAL``. So a next key is in every
portal's cache at most ``2 * JWKS_MAX_AGE + RELOAD_INTERVAL`` seconds after
``eid keys rotate``, plus clock skew between instances: that is
:data:`MIN_SAFE_DELAY` (665 s), and the default delay is 15 minutes. The same
reload interval and skew are added to the retention of a retired key, since a
worker that has not reloaded yet may still sign with it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from eid.errors import ConfigurationError, StorageError
from eid.signing import SigningKey
from eid.storage.durable import DurableStore, StoredKey

__all__ = ["DEFAULT_ACTIVATION_DELAY", "DEFAULT_ALGS", "JWKS_MAX_AGE", "MIN_SAFE_DELAY",
           "RELOAD_INTERVAL", "KeyState", "KeyStore", "key_states"]

log = logging.getLogger(__name__)

DEFAULT_ALGS: Final = ("ES256", "RS256")
#: ``Cache-Control: max-age`` of the service's JWKS (and discovery) responses, seconds.
JWKS_MAX_AGE: Final = 300
#: How often a running key store re-reads the durable store for keys added elsewhere.
RELOAD_INTERVAL: Final = 5.0
#: Allowed clock difference between the instances sharing a store.
CLOCK_SKEW: Final = 60.0
#: The shortest delay between publishing a key and signing with it that no portal notices.
MIN_SAFE_DELAY: Final = 2 * JWKS_MAX_AGE + RELOAD_INTERVAL + CLOCK_SKEW
#: ``eid keys rotate``'s default delay: the safe minimum with room to spare.
DEFAULT_ACTIVATION_DELAY: Final = 900.0

State = Literal["next", "current", "retired"]


@dataclass(frozen=True, slots=True)
class KeyState:
    """One stored key as seen at a moment: its state and when it changes."""

    kid: str
    alg: str
    state: State
    created_at: float
    activates_at: float
    retires_at: float | None  # when its successor activates (None: no successor yet)
    unpublish_at: float | None  # retires_at + retain
    published: bool


def key_states(keys: Iterable[StoredKey], now: float, retain: float) -> list[KeyState]:
    """The state of every key at ``now``, by algorithm then activation.

    Per algorithm the keys are ordered by activation; each retires when the next
    one activates (or at its stored ``retired_at``, if earlier: keys retired
    before scheduled rotation existed).
    """
    by_alg: dict[str, list[StoredKey]] = {}
    for key in keys:
        by_alg.setdefault(key.alg, []).append(key)
    states: list[KeyState] = []
    for alg in sorted(by_alg):
        chain = sorted(by_alg[alg], key=lambda k: (k.activation, k.created_at, k.kid))
        for i, key in enumerate(chain):
            ends = [t for t in (key.retired_at,
                                chain[i + 1].activation if i + 1 < len(chain) else None)
                    if t is not None]
            retires = min(ends) if ends else None
            state: State
            if key.activation > now:
                state = "next"
            elif retires is not None and retires <= now:
                state = "retired"
            else:
                state = "current"
            unpublish = None if retires is None else retires + retain
            states.append(KeyState(key.kid, alg, state, key.created_at, key.activation,
                                   retires, unpublish,
                                   state != "retired" or now < (unpublish or now)))
    return states


@dataclass(frozen=True, slots=True)
class _Snapshot:
    current: dict[str, SigningKey]
    jwks: dict[str, Any]
    states: tuple[KeyState, ...]
    valid_until: float  # the next state change or reload, whichever comes first


class KeyStore:
    """Signing keys backed by a :class:`DurableStore`.

    :param retain: how long a retired key stays published: at least the longest
        lifetime of anything it signs (plus ``reload_interval`` and clock skew).
    :param reload_interval: how often keys added by another process are picked
        up; signing in between costs one clock read (state changes due to time
        alone, such as a next key activating, need no re-read).
    """

    def __init__(self, store: DurableStore, *, algs: Iterable[str] = DEFAULT_ALGS,
                 retain: float = 7 * 86_400, reload_interval: float = RELOAD_INTERVAL,
                 clock: Callable[[], float] | None = None) -> None:
        if retain < 0 or reload_interval < 0:
            raise ConfigurationError("retain and reload_interval must not be negative",
                                     code="invalid_argument")
        self._store = store
        self._algs = tuple(algs)
        self._retain = retain
        self._reload_interval = reload_interval
        self._clock = clock if clock is not None else time.time  # looked up now: freezegun
        self._lock = threading.Lock()
        self._signers: dict[str, SigningKey] = {}  # by kid: parsing an RSA key is not free
        self._stored: list[StoredKey] = []
        self._reload_at = 0.0
        with self._lock:
            self._stored = self._store.signing_keys()
            self._create_missing(self._clock())
            self._reload_at = self._clock() + reload_interval
            self._snapshot = self._build(self._clock())

    def _generate(self, alg: str, now: float, activates: float) -> StoredKey:
        kid = f"{alg.lower()}-{int(now)}-{secrets.token_hex(4)}"
        _, jwk = SigningKey.generate(alg, kid)
        return StoredKey(kid, alg, jwk, now, activates_at=activates)

    def _create_missing(self, now: float) -> None:
        # Called with the lock held.
        states = key_states(self._stored, now, self._retain)
        have = {s.alg for s in states}
        current = {s.alg for s in states if s.state == "current"}
        wrote = False
        for alg in self._algs:
            if alg in current:
                continue
            key = self._generate(alg, now, now)
            if alg not in have:
                # First start: of several workers creating keys at once, one wins, and the
                # others sign with its key, read back below (won or lost, the store has one).
                self._store.schedule_key(key, float("-inf"))
            else:  # every key of alg retired by hand: sign with a fresh one at once
                self._store.add_key(key)
            wrote = True
        if wrote:
            self._stored = self._store.signing_keys()

    def _build(self, now: float) -> _Snapshot:
        # Called with the lock held.
        states = key_states(self._stored, now, self._retain)
        rows = {k.kid: k for k in self._stored}
        current: dict[str, SigningKey] = {}
        public: list[dict[str, str]] = []
        for s in states:
            if not s.published:
                continue
            signer = self._signers.get(s.kid)
            if signer is None:
                signer = self._signers[s.kid] = SigningKey.from_jwk(rows[s.kid].private_jwk)
            public.append(dict(signer.public_jwk))
            if s.state == "current":
                current[s.alg] = signer
        changes = [t for s in states for t in (s.activates_at, s.retires_at, s.unpublish_at)
                   if t is not None and t > now]
        return _Snapshot(current, {"keys": public}, tuple(states),
                         min([*changes, self._reload_at]))

    def _fresh(self, *, force: bool = False) -> _Snapshot:
        snapshot = self._snapshot
        now = self._clock()
        if not force and now < snapshot.valid_until:
            return snapshot  # the hot path: one clock read
        with self._lock:
            now = self._clock()
            if force or now >= self._reload_at:
                try:
                    self._stored = self._store.signing_keys()
                except StorageError as exc:
                    # The keys known stay valid by their times; retry at the next interval.
                    log.warning("signing keys not reloaded: %s", exc)
                self._reload_at = now + self._reload_interval
            self._snapshot = self._build(now)
            return self._snapshot

    def signing_key(self, alg: str) -> SigningKey:
        """The current key for ``alg``.

        :raises ConfigurationError: ``unsupported_algorithm`` when no key is kept for it.
        """
        key = self._fresh().current.get(alg)
        if key is None:
            raise ConfigurationError(f"no signing key for {alg}", code="unsupported_algorithm")
        return key

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: next, current and recently retired keys."""
        return self._fresh().jwks

    def states(self) -> tuple[KeyState, ...]:
        """Every stored key's state now (what ``eid keys list`` shows)."""
        return self._fresh().states

    @property
    def algorithms(self) -> tuple[str, ...]:
        """Algorithms this store signs with."""
        return self._algs

    def rotate(self, alg: str | None = None, *,
               delay: float = DEFAULT_ACTIVATION_DELAY) -> list[KeyState]:
        """Publish a next key for ``alg`` (or every algorithm) that signs after ``delay``.

        ``delay=0`` switches at once (the mock's rotation): a portal that cached the
        JWKS then fails to verify new tokens until it refetches.

        :returns: the states of the new keys.
        :raises ConfigurationError: ``unsupported_algorithm``; ``invalid_argument`` for a
            negative delay; ``rotation_pending`` when a next key of that algorithm is
            already waiting (checked for every algorithm before scheduling any).
        """
        algs: Sequence[str] = (alg,) if alg else self._algs
        if alg is not None and alg not in self._algs:
            raise ConfigurationError(f"no signing key for {alg}", code="unsupported_algorithm")
        if not delay >= 0:  # also refuses NaN
            raise ConfigurationError("the delay must not be negative", code="invalid_argument")
        pending = [s for s in self._fresh(force=True).states
                   if s.state == "next" and s.alg in algs]
        if pending:
            raise ConfigurationError(
                f"{pending[0].alg} key {pending[0].kid} is already waiting to activate",
                code="rotation_pending")
        now = self._clock()
        kids = []
        for a in algs:
            key = self._generate(a, now, now + delay)
            if not self._store.schedule_key(key, now):  # another process was quicker
                raise ConfigurationError(f"another {a} rotation is waiting to activate",
                                         code="rotation_pending")
            kids.append(key.kid)
        return [s for s in self._fresh(force=True).states if s.kid in kids]
