"""The demo portal's settings: one frozen object, passed to ``create_portal_app``.

Read from ``EID_PORTAL_*`` variables by :meth:`PortalSettings.from_env` (the
commands do), each with an embedded default, so ``eid portal`` runs from a
fresh clone against ``eid serve`` on its default port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eid.errors import ConfigurationError

__all__ = ["PortalSettings"]

# Variable → field, for from_env.
_ENV = {"EID_PORTAL_ISSUER": "issuer", "EID_PORTAL_CLIENT_ID": "client_id",
        "EID_PORTAL_CLIENT_SECRET": "client_secret", "EID_PORTAL_URL": "public_url",
        "EID_PORTAL_INSTANCE": "instance", "EID_PORTAL_OFFICE": "office_id",
        "EID_PORTAL_CREDENTIAL_SCOPE": "credential_scope"}


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """What the demo portal needs; validated at construction.

    :param issuer: the login service this portal trusts (its ``EID_ISSUER``).
    :param public_url: where citizens reach the portal (its callback is under it).
    :param instance: folder of the portal's secret key, holder key and filings database.
    :param office_id: the receiving office its dossiers are addressed to (the
        presentation's ``aud``; the demo office's URL by default).
    :param credential_scope: the scope that requests the citizen's credential at login
        (the login service's credential configuration); empty: no dossiers.
    """

    issuer: str = "http://127.0.0.1:5000"
    client_id: str = "cong-dvc-hcm"
    # The demo client's published secret (fixtures/README.md); set your own.
    client_secret: str = "demo-hcm-portal-secret-2026"  # noqa: S105
    public_url: str = "http://127.0.0.1:5001"
    instance: Path = Path("instance/portal")
    office_id: str = "http://127.0.0.1:5003"
    credential_scope: str = "citizen_credential"

    def __post_init__(self) -> None:
        for name in ("issuer", "public_url"):
            value = getattr(self, name)
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname \
                    or parts.query or parts.fragment or value.endswith("/"):
                raise ConfigurationError(f"portal {name} is not a base URL: {value!r}",
                                         code="invalid_setting")
        if not self.office_id or len(self.office_id) > 512:
            raise ConfigurationError("the portal needs a receiving office identifier",
                                     code="invalid_setting")
        if not self.client_id or not self.client_secret:
            raise ConfigurationError("the portal needs a client id and secret",
                                     code="invalid_setting")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **defaults: Any) -> PortalSettings:
        """Settings from the ``EID_PORTAL_*`` variables; ``defaults`` for those not set
        (a command passes the URL it serves at).

        :raises ConfigurationError: a value is invalid.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = dict(defaults)
        for variable, name in _ENV.items():
            if env.get(variable):
                values[name] = Path(env[variable]) if name == "instance" \
                    else env[variable] if name == "credential_scope" \
                    else env[variable].rstrip("/")
        return cls(**values)

    def with_(self, **changes: Any) -> PortalSettings:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)

