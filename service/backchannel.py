"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0) through a durable outbox.

When a citizen signs out, every portal that got an ID token in that session
and registered a ``backchannel_logout_uri`` is told by a logout token POSTed
to it (§2.5). The citizen never waits for a portal: signing out only queues
one :class:`~eid.storage.LogoutNotice` per portal in the durable store and
wakes the sender; the sender thread delivers in the background.

Why the durable store and not Redis: a portal may be down "for a while" (a
deploy, a network cut), longer than a process lives; a queue in memory would
be lost on restart and Redis may be configured without persistence, while the
SQLite (later PostgreSQL) store already survives restarts. Claims are leased
in one transaction, so several worker processes share one queue.

Delivery (§2.5, §2.8): ``200``/``204`` (any 2xx) delivered; any other 4xx the
portal refused the token, which a retry would not change (logged, dropped);
5xx, timeouts and connection failures are retried with exponential backoff
and jitter until the notice is :attr:`RetryPolicy.give_up_after` old. Each
attempt signs a fresh token (new ``iat``/``exp``/``jti``): receivers refuse a
token whose ``iat`` is older than two minutes (:data:`eid.verify.LOGOUT_TOKEN_MAX_AGE`).
"""

from __future__ import annotations

import atexit
import logging
import random
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from flask import Flask, current_app

from eid.errors import EidError
from eid.oidc.clients import Client
from eid.oidc.http import HttpClient, StdlibHttpClient
from eid.signing import sign_token
from eid.storage import LogoutNotice
from eid.verify import BACKCHANNEL_LOGOUT_EVENT
from service.provider import Provider
from service.sessions import LoginSession, client_sid, end_session, session_clients

__all__ = [
    "LOGOUT_TOKEN_TTL",
    "BackchannelSender",
    "RetryPolicy",
    "backchannel_sender",
    "install_sender",
    "logout_token",
    "queue_logout",
    "queue_withdrawal",
    "sign_out",
]

log = logging.getLogger("eid.service")

#: Seconds a logout token is valid: §2.4 asks for ``exp``; it only has to outlive one POST.
LOGOUT_TOKEN_TTL: Final = 120
_EXTENSION: Final = "eid.backchannel"
_BATCH: Final = 20  # notices claimed per pass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a notice again. Delays double from ``first`` up to ``cap`` seconds,
    each drawn in its upper half (jitter: portals coming back up are not hit in step)."""

    first: float = 2.0
    cap: float = 300.0
    give_up_after: float = 3600.0
    #: How long a claimed notice stays hidden from other senders; above the HTTP timeouts.
    lease: float = 60.0
    connect_timeout: float = 3.0
    read_timeout: float = 5.0

    def delay(self, attempts: int, jitter: float) -> float:
        """Seconds to wait after the ``attempts``-th failure (``jitter`` in ``[0, 1)``)."""
        base = min(self.cap, self.first * 2.0 ** min(attempts - 1, 32))
        return base / 2 + jitter * base / 2


def logout_token(p: Provider, client: Client, notice: LogoutNotice, now: float) -> str:
    """A logout token for ``client`` (§2.4), signed with the key its ID tokens use."""
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": p.issuer, "aud": client.client_id, "iat": iat, "exp": iat + LOGOUT_TOKEN_TTL,
        "jti": secrets.token_urlsafe(18), "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        # The values of this client's ID tokens: pairwise sub, per-sector sid. No sid:
        # every session of the citizen at this portal (§2.4; queue_withdrawal).
        "sub": notice.subject, **({"sid": notice.sid} if notice.sid else {}),
    }
    # §2.4: explicit typing, so the token cannot pass as an ID token (RFC 8725 §3.11).
    return sign_token(claims, p.keys.signing_key(client.id_token_alg), typ="logout+jwt")


class BackchannelSender:
    """Delivers queued logout notices; :meth:`deliver_due` is one pass, the thread loops it.

    :param clock: the time source of the thread (tests call :meth:`deliver_due`
        with their own ``now`` instead and never start the thread).
    :param jitter: a source of numbers in ``[0, 1)`` for the backoff.
    """

    def __init__(self, p: Provider, *, http: HttpClient | None = None,
                 policy: RetryPolicy | None = None, clock: Callable[[], float] | None = None,
                 jitter: Callable[[], float] = random.random, threaded: bool = True) -> None:
        self._p = p
        self.policy = policy or RetryPolicy()
        self._http = http or StdlibHttpClient(connect_timeout=self.policy.connect_timeout,
                                              read_timeout=self.policy.read_timeout,
                                              max_bytes=64 * 1024)
        self._clock = clock or p.now
        self._jitter = jitter
        self._threaded = threaded
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def deliver_due(self, now: float) -> float | None:
        """Try every notice due at ``now`` once.

        :returns: when the next notice is due, or ``None`` when the queue is empty.
        """
        durable = self._p.durable
        while True:
            notices = durable.claim_logout_notices(now, self.policy.lease, _BATCH)
            for notice in notices:
                self._attempt(notice, now)
            if len(notices) < _BATCH:
                return durable.next_logout_due()

    def _attempt(self, notice: LogoutNotice, now: float) -> None:
        durable = self._p.durable
        client = self._p.clients.get(notice.client_id)
        if client is None or not client.backchannel_logout_uri:
            durable.drop_logout_notice(notice.notice_id)  # unregistered since it was queued
            return
        if now - notice.created_at > self.policy.give_up_after:
            log.warning("back-channel logout to %s given up after %d attempts",
                        client.client_id, notice.attempts)
            durable.drop_logout_notice(notice.notice_id)
            return
        outcome = self._post(client, client.backchannel_logout_uri,
                             logout_token(self._p, client, notice, now))
        if outcome == "retry":
            attempts = notice.attempts + 1
            durable.reschedule_logout_notice(
                notice.notice_id, attempts, now + self.policy.delay(attempts, self._jitter()))
            return
        if outcome == "refused":
            log.warning("back-channel logout refused by %s", client.client_id)
        durable.drop_logout_notice(notice.notice_id)

    def _post(self, client: Client, uri: str, token: str) -> str:
        try:
            # §2.5: a form POST; the strict client follows no redirect (§2.8 wants the answer
            # of the registered URI itself) and caps the answer's size.
            response = self._http.request("POST", uri, form={"logout_token": token},
                                          headers={"Cache-Control": "no-store"})
        except EidError as exc:
            if exc.code in ("insecure_url", "invalid_url"):
                log.warning("back-channel logout URI of %s unusable: %s", client.client_id, exc)
                return "refused"
            log.info("back-channel logout to %s failed (%s): will retry", client.client_id,
                     exc.code)
            return "retry"
        if 200 <= response.status < 300:
            return "delivered"
        # §2.8: 400 is the portal refusing the token; 408 and 429 say "later", like 5xx.
        if 400 <= response.status < 500 and response.status not in (408, 429):
            return "refused"
        return "retry"

    def kick(self) -> None:
        """Wake the sender (starting its thread when none runs): something was queued."""
        if not self._threaded:
            return
        with self._lock:
            if self._stopped:
                return
            if self._thread is not None and self._thread.is_alive():
                self._wake.set()
                return
            self._thread = threading.Thread(target=self._run, name="eid-backchannel",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        # The thread exists only while the queue holds something: an idle service (or
        # each of a test suite's apps) keeps no thread around.
        while True:
            try:
                next_due = self.deliver_due(self._clock())
            except EidError as exc:  # the store is down: try again shortly
                log.warning("back-channel logout sender: %s", exc)
                next_due = self._clock() + self.policy.first
            except Exception:  # a bug must not end delivery for every later logout
                log.exception("back-channel logout sender failed; retrying")
                next_due = self._clock() + self.policy.lease
            with self._lock:
                if self._stopped:
                    return
                if next_due is None and not self._wake.is_set():
                    self._thread = None  # a kick from now on starts a new thread
                    return
            wait = 0.0 if next_due is None else next_due - self._clock()
            # Capped, so leases left by another process that died are picked up too.
            self._wake.wait(min(max(wait, 0.0), self.policy.lease))
            self._wake.clear()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (what is still queued stays queued for the next start)."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)


def install_sender(app: Flask, p: Provider, *, threaded: bool = True,
                   policy: RetryPolicy | None = None) -> BackchannelSender:
    """Attach a sender to ``app``; start it when notices are already queued (a restart)."""
    sender = BackchannelSender(p, threaded=threaded, policy=policy)
    app.extensions[_EXTENSION] = sender
    # A clean stop at exit; a weak reference, so apps that are gone (tests) are not kept.
    atexit.register(_stop_at_exit, weakref.ref(sender))
    if p.durable.next_logout_due() is not None:
        sender.kick()
    return sender


def _stop_at_exit(ref: weakref.ref[BackchannelSender]) -> None:
    sender = ref()
    if sender is not None:
        sender.stop(timeout=1.0)  # an unfinished delivery is retried after its lease


def backchannel_sender() -> BackchannelSender:
    """The current app's sender."""
    sender: BackchannelSender = current_app.extensions[_EXTENSION]
    return sender


def queue_logout(p: Provider, session: LoginSession) -> int:
    """Queue a logout notice for each portal of ``session`` with a back-channel URI.

    :returns: how many were queued.
    """
    now = p.now()
    notices = []
    for client_id in session_clients(p, session.sid):
        client = p.clients.get(client_id)
        if client is None or not client.backchannel_logout_uri:
            continue
        notices.append(LogoutNotice(
            notice_id=secrets.token_urlsafe(18), client_id=client.client_id,
            subject=p.subject(client, session.id_number),
            sid=client_sid(p, client, session.sid), created_at=now, due_at=now))
    if notices:
        p.durable.add_logout_notices(notices)
        backchannel_sender().kick()
    return len(notices)


def queue_withdrawal(p: Provider, client: Client, id_number: str) -> bool:
    """Tell ``client`` that the citizen withdrew its access: a logout token with ``sub``
    and no ``sid`` (§2.4: every session of that citizen there ends).

    The back channel, not token introspection or a failing userinfo call, because a
    portal keeps the released claims in its own session and calls neither on each
    page: only a push reaches it before its next page shows the data again.

    :returns: whether one was queued (the portal registered a back-channel URI).
    """
    if not client.backchannel_logout_uri:
        return False
    now = p.now()
    p.durable.add_logout_notices([LogoutNotice(
        notice_id=secrets.token_urlsafe(18), client_id=client.client_id,
        subject=p.subject(client, id_number), sid="", created_at=now, due_at=now)])
    backchannel_sender().kick()
    return True


def sign_out(p: Provider) -> LoginSession | None:
    """End the browser's session and queue the back-channel logouts of its portals."""
    ended = end_session()
    if ended is not None:
        queue_logout(p, ended)
    return ended
