"""The testing kit for portal teams (used by tests and the mock; nothing else imports it).

* :func:`make_client_assertion` – a ``private_key_jwt`` client assertion;
* :class:`TestIssuer` – an in-process provider minting tokens for fixture citizens;
* :data:`TOKEN_FAULTS` – named faults to inject into tokens, each with the code a
  correct relying party rejects it with;
* :class:`JwksServer` – discovery + JWKS on a loopback port, slowed or failed on demand;
* :class:`MockService` – drives a running mock login service over HTTP (``eid mock``,
  or the service's ``eid_mock_service`` fixture): logins as any fixture citizen,
  injected errors and token faults, key rotation, reset;
* the pytest plugin :mod:`eid.testing.plugin` (fixtures ``eid_identities``,
  ``eid_issuer``, ``eid_mint``, ``eid_jwks_server``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use: the pytest plugin (a submodule) is imported in every pytest
# run of a project that installs eid, and importing it imports this package.
if TYPE_CHECKING:
    from eid.testing.assertions import make_client_assertion
    from eid.testing.dpop_faults import DPOP_FAULTS, DpopFault, dpop_headers
    from eid.testing.faults import (
        TOKEN_FAULTS,
        TokenFault,
        apply_token_fault,
        check_fault,
        sign_with_fault,
    )
    from eid.testing.issuer import TestIssuer
    from eid.testing.jwks_server import JwksServer
    from eid.testing.mock_service import MockService

__all__ = ["DPOP_FAULTS", "TOKEN_FAULTS", "DpopFault", "JwksServer", "MockService",
           "TestIssuer", "TokenFault", "apply_token_fault", "check_fault", "dpop_headers",
           "make_client_assertion", "sign_with_fault"]

_HOMES = {"TOKEN_FAULTS": "faults", "TokenFault": "faults", "apply_token_fault": "faults",
          "check_fault": "faults", "sign_with_fault": "faults", "TestIssuer": "issuer",
          "JwksServer": "jwks_server", "MockService": "mock_service",
          "make_client_assertion": "assertions",
          "DPOP_FAULTS": "dpop_faults", "DpopFault": "dpop_faults",
          "dpop_headers": "dpop_faults"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'eid.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"eid.testing.{home}"), name)
