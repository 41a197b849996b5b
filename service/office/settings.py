"""The demo receiving office's settings: one frozen object, passed to ``create_office_app``.

Read from ``EID_OFFICE_*`` variables by :meth:`OfficeSettings.from_env`, each with an
embedded default, so ``eid up`` runs it beside the login service and the portal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eid.errors import ConfigurationError

__all__ = ["OfficeSettings"]

_ENV = {"EID_OFFICE_ISSUER": "issuer", "EID_OFFICE_ID": "identifier",
        "EID_OFFICE_JWKS": "jwks_file"}


@dataclass(frozen=True, slots=True)
class OfficeSettings:
    """What the office needs; validated at construction.

    :param issuer: the credential issuer it trusts (the login service's issuer URL).
    :param identifier: the office's own identifier, the ``aud`` a dossier's presentation
        must name (the portal's ``EID_PORTAL_OFFICE``).
    :param jwks_file: the issuer's keys pinned in a file (offline); none: fetched from
        the issuer's JWKS through discovery.
    """

    issuer: str = "http://127.0.0.1:5000"
    identifier: str = "http://127.0.0.1:5003"
    jwks_file: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.scheme not in ("http", "https") or not parts.hostname \
                or self.issuer.endswith("/"):
            raise ConfigurationError(f"office issuer is not a base URL: {self.issuer!r}",
                                     code="invalid_setting")
        if not self.identifier or len(self.identifier) > 512:
            raise ConfigurationError("the office needs an identifier", code="invalid_setting")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **defaults: Any) -> OfficeSettings:
        """Settings from the ``EID_OFFICE_*`` variables; ``defaults`` for those not set.

        :raises ConfigurationError: a value is invalid.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = dict(defaults)
        for variable, name in _ENV.items():
            if env.get(variable):
                values[name] = Path(env[variable]) if name == "jwks_file" \
                    else env[variable].rstrip("/")
        return cls(**values)

    def with_(self, **changes: Any) -> OfficeSettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)
