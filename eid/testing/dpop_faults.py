"""Faulty DPoP requests by name, for testing a resource server (or the login service's
userinfo) the way :mod:`eid.testing.faults` tests a portal's ID-token checks.

Each fault builds the ``Authorization`` and ``DPoP`` headers of a request that a
correct server must refuse (RFC 9449 §4.3, §7), and names the OAuth error code it
earns in the ``WWW-Authenticate: DPoP`` challenge. A fault with ``times`` 2 is a
replay: the same headers are sent twice and the second request is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from eid.errors import ConfigurationError
from eid.oidc.dpop import DpopKey

__all__ = ["DPOP_FAULTS", "DpopFault", "dpop_headers"]

_Headers = Callable[[DpopKey, str, str, str, str | None], dict[str, str]]


@dataclass(frozen=True, slots=True)
class DpopFault:
    """One named fault of a DPoP resource request and the code a server answers."""

    name: str
    description: str
    expected_code: str
    headers: _Headers
    times: int = 1  # send the headers this many times; the last request is refused


def _good(key: DpopKey, method: str, url: str, token: str, nonce: str | None,
          **changes: str) -> dict[str, str]:
    proof = key.proof(changes.get("htm", method), changes.get("htu", url),
                      access_token=changes.get("ath_of", token), nonce=nonce)
    return {"Authorization": f"{changes.get('scheme', 'DPoP')} {token}", "DPoP": proof}


def _stale(key: DpopKey, method: str, url: str, token: str, nonce: str | None
           ) -> dict[str, str]:
    old = DpopKey(key.key, clock=lambda: time.time() - 300)
    return _good(old, method, url, token, nonce)


def _no_proof(key: DpopKey, method: str, url: str, token: str, nonce: str | None
              ) -> dict[str, str]:
    return {"Authorization": f"DPoP {token}"}


DPOP_FAULTS: Final[dict[str, DpopFault]] = {f.name: f for f in (
    DpopFault("bearer_bound_token", "a DPoP-bound token sent as Bearer (RFC 9449 §7.2)",
              "invalid_token", lambda k, m, u, t, n: _good(k, m, u, t, n, scheme="Bearer")),
    DpopFault("replayed_proof", "the same proof sent twice (§11.1)", "invalid_dpop_proof",
              _good, times=2),
    DpopFault("no_proof", "the DPoP scheme without a DPoP header", "invalid_dpop_proof",
              _no_proof),
    DpopFault("wrong_htm", "a proof for another method", "invalid_dpop_proof",
              lambda k, m, u, t, n: _good(k, m, u, t, n,
                                          htm="POST" if m.upper() != "POST" else "GET")),
    DpopFault("wrong_htu", "a proof for another URL", "invalid_dpop_proof",
              lambda k, m, u, t, n: _good(k, m, u, t, n, htu=u.rstrip("/") + "/other")),
    DpopFault("stale_iat", "a proof made 5 minutes ago", "invalid_dpop_proof", _stale),
    DpopFault("wrong_ath", "a proof for another access token", "invalid_dpop_proof",
              lambda k, m, u, t, n: _good(k, m, u, t, n, ath_of=t + "x")),
    DpopFault("other_key", "a proof signed by a key the token is not bound to",
              "invalid_dpop_proof", lambda k, m, u, t, n: _good(DpopKey(), m, u, t, n)),
)}


def dpop_headers(key: DpopKey, method: str, url: str, access_token: str, *,
                 nonce: str | None = None, fault: str | None = None) -> dict[str, str]:
    """The headers of a resource request with ``access_token`` bound to ``key``: good, or
    with the named fault.

    :raises ConfigurationError: ``unknown_fault`` listing the known names.
    """
    if fault is None:
        return _good(key, method, url, access_token, nonce)
    if fault not in DPOP_FAULTS:
        raise ConfigurationError(f"unknown DPoP fault {fault!r}; known: "
                                 f"{', '.join(DPOP_FAULTS)}", code="unknown_fault")
    return DPOP_FAULTS[fault].headers(key, method, url, access_token, nonce)
