"""The mock login service: test mode plus test controls, for portal teams' tests.

Built only when ``Settings.mock`` is set (``eid mock``, the pytest fixture
``eid_mock_service``); the normal service has none of it. The controls:

* the next authorization request ends with an injected OAuth error, redirected
  to the portal with ``state`` and ``iss`` like any other (RFC 6749 §4.1.2.1);
* the next ID token carries a named fault from :data:`eid.testing.TOKEN_FAULTS`;
* the next pushed authorization request gets a named fault from
  :data:`PAR_FAULTS` (``expired_request_uri``: the ``request_uri`` handed out has
  already expired, so ``/authorize`` refuses it with ``invalid_request_uri``);
* ``persona``: every authorization request signs that citizen in silently
  (as Singapore's MockPass does) unless ``X-Eid-Test-Identity`` names another.

Pending injections live in this process (the mock is one process); each is
used once, by the first request that can carry it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from eid.errors import OAUTH_ERRORS, ConfigurationError, NotFoundError, OAuthError, PopulationError
from eid.population.registry import Registry
from eid.signing import SigningKey
from eid.testing.faults import TOKEN_FAULTS, check_fault, sign_with_fault

__all__ = ["INJECTABLE_ERRORS", "PAR_FAULTS", "MockControls"]

#: Errors an authorization request may end with (each one redirectable to the portal).
INJECTABLE_ERRORS: Final = (
    "access_denied", "login_required", "consent_required", "interaction_required",
    "unmet_authentication_requirements", "temporarily_unavailable", "server_error",
)

#: Faults of a pushed authorization request (RFC 9126), by name, with what they do.
PAR_FAULTS: Final = {
    "expired_request_uri": "the request_uri answered has already expired (RFC 9126 §2.2, §4)",
}


class MockControls:
    """What the test-control API changes: the persona and the pending injections.

    :raises ConfigurationError: ``unknown_persona`` when ``persona`` is not a
        citizen of ``registry`` whose account can sign in.
    """

    def __init__(self, persona: str | None, registry: Registry) -> None:
        if persona is not None:
            try:
                citizen = registry.get(persona)
            except (NotFoundError, PopulationError) as exc:
                raise ConfigurationError(f"persona {persona!r} is not in the identities: {exc}",
                                         code="unknown_persona") from exc
            account = citizen.account
            if account is None or account.status != "active" or citizen.is_deceased:
                raise ConfigurationError(
                    f"persona {persona!r} ({citizen.full_name}) has no account that can sign in",
                    code="unknown_persona")
        self.persona = persona
        self._lock = threading.Lock()
        self._error: str | None = None
        self._fault: str | None = None
        self._par_fault: str | None = None

    def inject_error(self, code: str) -> None:
        """End the next authorization request with OAuth error ``code``.

        :raises ConfigurationError: ``unknown_error`` listing the injectable codes.
        """
        if code not in INJECTABLE_ERRORS:
            raise ConfigurationError(
                f"cannot inject {code!r}; choose one of: {', '.join(INJECTABLE_ERRORS)}",
                code="unknown_error")
        with self._lock:
            self._error = code

    def inject_token_fault(self, name: str) -> None:
        """Give the next ID token fault ``name``.

        :raises ConfigurationError: ``unknown_fault`` listing the known names.
        """
        check_fault(name)
        with self._lock:
            self._fault = name

    def inject_par_fault(self, name: str) -> None:
        """Give the next pushed authorization request fault ``name``.

        :raises ConfigurationError: ``unknown_fault`` listing the known names.
        """
        if name not in PAR_FAULTS:
            raise ConfigurationError(
                f"unknown PAR fault {name!r}; known: {', '.join(sorted(PAR_FAULTS))}",
                code="unknown_fault")
        with self._lock:
            self._par_fault = name

    def take_par_fault(self) -> str | None:
        """The pending PAR fault, if any (used once)."""
        with self._lock:
            name, self._par_fault = self._par_fault, None
        return name

    def raise_injected_error(self) -> None:
        """Raise the pending authorization error, if any (once).

        :raises OAuthError: the injected error.
        """
        with self._lock:
            code, self._error = self._error, None
        if code is not None:
            cls: Callable[..., OAuthError] = OAUTH_ERRORS.get(code, OAuthError)
            raise cls("injected by the mock's test-control API", code=code)

    def sign_id_token(self, claims: dict[str, Any], key: SigningKey) -> str:
        """Sign an ID token, with the pending fault if there is one (used once)."""
        with self._lock:
            name, self._fault = self._fault, None
        return sign_with_fault(claims, key, TOKEN_FAULTS[name] if name else None)

    def reset(self) -> None:
        """Drop the pending injections (the persona stays: it is how the mock was started)."""
        with self._lock:
            self._error = self._fault = self._par_fault = None

    def pending(self) -> dict[str, str | None]:
        """The injections waiting for their request."""
        with self._lock:
            return {"error": self._error, "token_fault": self._fault,
                    "par_fault": self._par_fault}
