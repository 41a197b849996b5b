"""Recording a release of a citizen's data in the data-access log (issue 14).

Every path that hands a citizen's data to a portal calls :func:`record_release`
*before* its response leaves: the entry is committed first, or the release does
not happen (the caller's request fails with 503 ``temporarily_unavailable`` and
nothing is sent). A response therefore never releases what the log lacks.

An entry names what was released, never the values: claim and attribute names,
the portal (and its organisation's name as registered at the time), the procedure
(a ``vn_procedure`` code, RFC 9396) or else the portal's registered purpose, the
basis (``consent:<scopes>``) and the request's trace id (:mod:`service.trace`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from eid.errors import StorageError
from eid.oidc.clients import Client
from eid.storage.records import AccessEntry
from service.metrics import metrics
from service.provider import Provider
from service.trace import trace_id

__all__ = ["consent_basis", "grant_procedure", "record_release"]

log = logging.getLogger("eid.service")


def consent_basis(scopes: Iterable[str]) -> str:
    """The basis of a release under the citizen's consent to ``scopes``."""
    return "consent:" + " ".join(sorted(set(scopes)))


def grant_procedure(grant: object) -> str | None:
    """The ``vn_procedure`` code a grant was issued for, if any (RFC 9396)."""
    value = getattr(grant, "procedure", None)
    return value if isinstance(value, str) and value else None


def record_release(p: Provider, *, citizen: str, client: Client, action: str,
                   attributes: Iterable[str], procedure: str | None = None,
                   basis: str) -> int:
    """Append one entry for a release of ``citizen``'s data to ``client``; its log index.

    ``attributes`` are the names released (claim names), never their values.

    :raises StorageError: ``storage_unavailable`` when the entry could not be appended,
        whatever the cause: the caller must not release anything (the service answers
        503 ``temporarily_unavailable``).
    """
    entry = AccessEntry(
        time=int(p.now()), citizen=citizen, client_id=client.client_id,
        organisation=client.name["vi"], action=action, procedure=procedure,
        purpose=None if procedure else client.purpose.get("vi"),
        attributes=tuple(sorted(set(attributes))), basis=basis, trace_id=trace_id())
    try:
        index = p.durable.append_access(entry)
    except StorageError as exc:
        if exc.code != "storage_unavailable":
            raise _unavailable(action, client, exc) from exc
        # As it is: its traceback names the store for eid_store_errors_total.
        log.error("data-access log unreachable (%s for %s): release refused",
                  action, client.client_id)
        raise
    except Exception as exc:
        raise _unavailable(action, client, exc) from exc
    metrics().release(action)
    return index


def _unavailable(action: str, client: Client, exc: Exception) -> StorageError:
    # Any failure (a constraint, a full disk, a bug) means the entry may not be there,
    # so the release must not happen: nothing may slip past as a 500 after a partial
    # response, nor be swallowed.
    log.error("data-access log append failed (%s for %s): release refused",
              action, client.client_id, exc_info=exc)
    return StorageError("the data-access log could not be written", code="storage_unavailable")
