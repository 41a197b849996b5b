"""A pending authorization request's id, written to the short-lived store only when a
screen needs it.

``/authorize`` used to store every valid request under a random id and, when nothing
was left for the citizen to do (a live session and a remembered consent, the test
sign-in), delete it again in the round trip that stores the code: two writes for a
request no screen ever asked for. :class:`PendingRequest` takes the id lazily: the
request is written when :attr:`PendingRequest.id` is first read, which only the
redirects to the login and consent screens do (they carry it as ``req``), and
:meth:`PendingRequest.stored_key` names the key the code then supersedes, if any.

What is written is the request as it was when it became pending (its record is taken
at once, and with it the size check of :func:`service.authz_request.request_record`:
an oversized request is refused whether or not a screen follows, since its code
would park as much).
"""

from __future__ import annotations

from typing import Any

from service.authz_request import AuthorizationRequest, request_record, store_record
from service.provider import Provider
from service.state_keys import pending_request

__all__ = ["PendingRequest"]


class PendingRequest:
    """The place of an authorization request in the short-lived store: not yet written
    (:meth:`new`), or written under a known id (:meth:`kept`)."""

    __slots__ = ("_id", "_p", "_record")

    def __init__(self, p: Provider, req_id: str | None, record: dict[str, Any] | None
                 ) -> None:
        # An id means the request is in the store; a record, that it is to be (re)written.
        self._p, self._id, self._record = p, req_id, record

    @classmethod
    def new(cls, p: Provider, req: AuthorizationRequest) -> PendingRequest:
        """A request just validated, not written anywhere yet.

        :raises InvalidRequest: it is too large to keep (:func:`request_record`).
        """
        return cls(p, None, request_record(req))

    @classmethod
    def kept(cls, p: Provider, req_id: str,
             changed: AuthorizationRequest | None = None) -> PendingRequest:
        """A request stored under ``req_id``; ``changed``: what it is now, written again
        before the id is handed out (a screen's decision it must remember)."""
        record = request_record(changed) if changed is not None else None
        return cls(p, req_id, record)

    @property
    def id(self) -> str:
        """Its id, for a screen to resume it; the request is written first if it is not
        stored as it is now."""
        if self._record is not None:
            self._id = store_record(self._p, self._record, self._id)
            self._record = None
        assert self._id is not None  # noqa: S101 - a record or an id is always given
        return self._id

    def stored_key(self) -> str | None:
        """The short-lived key holding it, or ``None`` when it was never written."""
        return pending_request(self._id) if self._id is not None else None
