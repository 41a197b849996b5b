"""The testing kit for portal teams (used by tests and the mock; nothing else imports it).

* :class:`TestIssuer` – an in-process provider minting tokens for fixture citizens;
* :data:`TOKEN_FAULTS` – named faults to inject into tokens, each with the code a
  correct relying party rejects it with;
* :class:`JwksServer` – discovery + JWKS on a loopback port, slowed or failed on demand;
* the pytest plugin :mod:`eid.testing.plugin` (fixtures ``eid_identities``,
  ``eid_issuer``, ``eid_mint``, ``eid_jwks_server``).
"""

from __future__ import annotations

from eid.testing.faults import TOKEN_FAULTS, TokenFault, apply_token_fault, check_fault
from eid.testing.issuer import TestIssuer
from eid.testing.jwks_server import JwksServer

__all__ = ["TOKEN_FAULTS", "JwksServer", "TestIssuer", "TokenFault", "apply_token_fault",
           "check_fault"]
