"""Readiness: is each store this service needs reachable now?

One cheap read per store, nothing written: the short-lived store (a ``get`` of
a key nobody writes), the durable store (when the next logout notice is due)
and the registry (a well-formed ID number; found or not, the store answered).
A failure is reported by store name only: an exception's text may hold a URL
with a password, and ``/readyz`` is open to anyone who can reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress

from eid.errors import PopulationError
from service.provider import Provider
from service.state_keys import readiness_probe

__all__ = ["PROBE_ID_NUMBER", "check_stores"]

log = logging.getLogger("eid.service")

#: Twelve ASCII digits, so a registry looks it up rather than refusing it unread.
PROBE_ID_NUMBER = "000000000000"
_PROBE_KEY = readiness_probe()


def _registry(p: Provider) -> None:
    with suppress(PopulationError):  # not found (or refused as a number): the store answered
        p.registry.get(PROBE_ID_NUMBER)


_CHECKS: dict[str, Callable[[Provider], object]] = {
    "ephemeral": lambda p: p.ephemeral.get(_PROBE_KEY),
    "durable": lambda p: p.durable.next_logout_due(),
    "registry": _registry,
}


def check_stores(p: Provider) -> dict[str, bool]:
    """``{store: reachable}`` for ``ephemeral``, ``durable`` and ``registry``."""
    results: dict[str, bool] = {}
    for name, check in _CHECKS.items():
        try:
            check(p)
        except Exception as exc:  # any failure means "not ready", never a 500
            log.warning("readiness: the %s store failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = False
        else:
            results[name] = True
    return results
