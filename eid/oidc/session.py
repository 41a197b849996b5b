"""What a relying party keeps between steps: pending logins, tokens, results.

:class:`PendingLogin` round-trips through a plain dict so a portal can keep it
in any session store; :meth:`PendingLogin.from_dict` validates what comes back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from eid.errors import LoginError
from eid.oidc.authorization_details import granted_procedure

__all__ = ["LoginResult", "PendingLogin", "TokenSet"]


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """The secrets of one started login (keep them server-side or in a signed session)."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    created_at: float
    acr: str | None = None
    max_age: int | None = None
    #: The procedure named in ``authorization_details`` (RFC 9396), checked on return.
    procedure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for a session."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> PendingLogin:
        """Rebuild from :meth:`to_dict` output.

        :raises LoginError: ``no_pending_login`` when the data is missing or malformed.
        """
        try:
            assert isinstance(data, dict)  # noqa: S101 - turned into LoginError below
            pending = cls(**data)
            assert all(isinstance(getattr(pending, f), str)  # noqa: S101
                       for f in ("state", "nonce", "code_verifier", "redirect_uri"))
            assert isinstance(pending.created_at, int | float)  # noqa: S101
            assert pending.procedure is None or isinstance(pending.procedure, str)  # noqa: S101
        except (AssertionError, TypeError) as exc:
            raise LoginError("no login is in progress in this session",
                             code="no_pending_login") from exc
        return pending


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Tokens from one token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: str
    expires_at: float | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    scope: frozenset[str] = field(default_factory=frozenset)
    #: RFC 9396 §7: the ``vn_procedure`` code the provider granted, when it names one.
    procedure: str | None = None

    @classmethod
    def from_response(cls, body: dict[str, Any], *, now: float) -> TokenSet:
        """Parse a token response.

        :raises LoginError: ``bad_response`` when required members are missing.
        """
        access, kind = body.get("access_token"), body.get("token_type")
        if not isinstance(access, str) or not access or not isinstance(kind, str):
            raise LoginError("the token response lacks access_token or token_type",
                             code="bad_response")
        if kind.lower() not in ("bearer", "dpop"):
            raise LoginError(f"unsupported token_type {kind!r}", code="bad_response")
        expires_in = body.get("expires_in")
        refresh, id_token = body.get("refresh_token"), body.get("id_token")
        scope = body.get("scope")
        return cls(
            access_token=access, token_type=kind,
            expires_at=now + expires_in if isinstance(expires_in, int | float)
            and not isinstance(expires_in, bool) else None,
            refresh_token=refresh if isinstance(refresh, str) else None,
            id_token=id_token if isinstance(id_token, str) else None,
            scope=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            procedure=granted_procedure(body.get("authorization_details")),
        )


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A completed login: who, at which assurance level, with what data and tokens."""

    subject: str
    acr: str | None
    id_token_claims: dict[str, Any]
    userinfo: dict[str, Any]
    tokens: TokenSet

    @property
    def procedure(self) -> str | None:
        """The procedure the provider granted this login for (RFC 9396), if any."""
        return self.tokens.procedure

    @property
    def claims(self) -> dict[str, Any]:
        """ID token claims overlaid with userinfo claims (userinfo is fresher)."""
        return {**self.id_token_claims, **self.userinfo}
