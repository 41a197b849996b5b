"""The service's data-access log checkpoints: signed every few seconds while the log grows,
and on demand for a proof of a size no checkpoint covers yet.

The checkpoint key is the log's own (:mod:`eid.oidc.log_key`), its origin the issuer's
host and path plus ``/audit``. Every worker of every instance may sign: the store keeps
only ever-larger checkpoints (a compare-and-set on the size), so two signers of one
size store one note and both serve it.

The signing thread exists only while the log is in use: a request starts it if none
runs, and it ends after :data:`IDLE_TICKS` checks that found nothing new (an idle
worker, or each of a test suite's apps, keeps no thread around). A release is a
request, so an entry is covered by a signed checkpoint at most one interval after it
was appended.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Final

from flask import Flask, current_app

from eid.audit import NoteSigner
from eid.errors import AuditError, EidError
from eid.oidc.log_key import log_origin, log_signer
from eid.storage import DurableStore, StoredCheckpoint
from eid.storage.access_proofs import sign_checkpoint

__all__ = ["IDLE_TICKS", "Checkpointer", "checkpointer", "install_checkpointer"]

log = logging.getLogger("eid.service")

_EXTENSION: Final = "eid.transparency"
#: Checks without anything new to sign before the thread ends.
IDLE_TICKS: Final = 6


class Checkpointer:
    """Signs checkpoints of ``durable``'s log; :meth:`tick` is one check, the thread loops it."""

    def __init__(self, durable: DurableStore, issuer: str, *, interval: float,
                 clock: Callable[[], float]) -> None:
        self._durable = durable
        self.origin = log_origin(issuer)
        self._signer: NoteSigner | None = None
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def signer(self) -> NoteSigner:
        """The log's signer (its key read from the store on first use)."""
        if self._signer is None:
            self._signer = log_signer(self._durable, self.origin)
        return self._signer

    def tick(self, now: float) -> bool:
        """Sign a checkpoint of the whole log if it grew; whether one was signed here."""
        latest = self._durable.latest_checkpoint()
        size = self._durable.access_size()
        if latest is not None and latest.size >= size:
            return False
        signed = sign_checkpoint(self._durable, self.signer, now=now, size=size)
        return latest is None or signed.size > latest.size

    def latest(self) -> StoredCheckpoint:
        """The latest checkpoint, signing the first one (of whatever the log holds) if none."""
        found = self._durable.latest_checkpoint()
        if found is not None:
            return found
        return sign_checkpoint(self._durable, self.signer, now=self._clock())

    def covering(self, size: int, *, exact: bool) -> StoredCheckpoint:
        """A checkpoint of at least ``size`` entries, signed now if the latest is smaller:
        of exactly ``size`` entries if ``exact`` (a proof of that size is asked), else of
        the whole log. What a proof for a new entry is checked against.

        :raises AuditError: ``invalid_tree_size`` for a size the log has not reached.
        """
        latest = self._durable.latest_checkpoint()
        if latest is not None and latest.size >= size:
            return latest
        if size > self._durable.access_size():
            raise AuditError(f"the log has fewer than {size} entries", code="invalid_tree_size")
        return sign_checkpoint(self._durable, self.signer, now=self._clock(),
                               size=size if exact else None)

    def poke(self) -> None:
        """Make sure the signing thread runs (cheap: no store access)."""
        if self._interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            # The thread holds the checkpointer weakly: an app that is gone (a test's)
            # ends its thread at the next tick instead of being kept alive by it.
            self._thread = threading.Thread(target=_run, args=(weakref.ref(self), self._stop,
                                                               self._interval),
                                            name="eid-checkpoints", daemon=True)
            self._thread.start()

    def _tick_safely(self) -> bool:
        try:
            return self.tick(self._clock())
        except EidError as exc:  # the store is down: the next tick tries again
            log.warning("checkpoint signer: %s", exc)
        except Exception:  # a bug must not end checkpoints for good
            log.exception("checkpoint signer failed")
        return False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread for good (what is unsigned is signed by the next start)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _run(ref: weakref.ref[Checkpointer], stop: threading.Event, interval: float) -> None:
    idle = 0
    while idle < IDLE_TICKS and not stop.wait(interval):
        signer = ref()
        if signer is None:
            return
        idle = 0 if signer._tick_safely() else idle + 1
        del signer


def install_checkpointer(app: Flask, durable: DurableStore, issuer: str, *, interval: float,
                         clock: Callable[[], float]) -> Checkpointer:
    """Attach a checkpointer to ``app``; each request makes sure its thread runs."""
    signer = Checkpointer(durable, issuer, interval=interval, clock=clock)
    app.extensions[_EXTENSION] = signer
    atexit.register(_stop_at_exit, weakref.ref(signer))

    def poke(response: object) -> object:
        signer.poke()
        return response

    app.after_request(poke)
    return signer


def _stop_at_exit(ref: weakref.ref[Checkpointer]) -> None:
    signer = ref()
    if signer is not None:
        signer.stop(timeout=1.0)


def checkpointer() -> Checkpointer:
    """The current app's checkpointer."""
    signer: Checkpointer = current_app.extensions[_EXTENSION]
    return signer
