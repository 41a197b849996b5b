"""Driving a running mock login service from a test: logins, injected errors, rotation.

:class:`MockService` talks HTTP to a mock (the pytest fixture
``eid_mock_service``, or ``eid mock`` started from the command line): its
``/__mock__`` test-control API, and the code flow through
:class:`~eid.oidc.RelyingParty` with the ``X-Eid-Test-Identity`` header.
Framework-free: it works for any portal's tests.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Final

from eid.errors import ConfigurationError, LoginError
from eid.oidc import LoginResult, RelyingParty

__all__ = ["TEST_CLIENT_ID", "TEST_CLIENT_SECRET", "TEST_IDENTITY_HEADER", "TEST_REDIRECT_URI",
           "MockService"]

TEST_CLIENT_ID: Final = "eid-test-client"
TEST_CLIENT_SECRET: Final = "eid-test-secret"  # noqa: S105 - published on purpose
TEST_REDIRECT_URI: Final = "http://127.0.0.1:9999/cb"
TEST_IDENTITY_HEADER: Final = "X-Eid-Test-Identity"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 comes back as an HTTPError we read the Location of


_OPENER: Final = urllib.request.build_opener(_NoRedirect)


class MockService:
    """A running mock login service at ``url`` (its issuer).

    :param redirect_uri: the test client's redirect URI used by :meth:`login`
        (the registered ``http://127.0.0.1:9999/cb`` unless the mock accepts others).
    """

    client_id: str = TEST_CLIENT_ID
    client_secret: str = TEST_CLIENT_SECRET

    def __init__(self, url: str, *, redirect_uri: str = TEST_REDIRECT_URI,
                 timeout: float = 10) -> None:
        self.url = url.rstrip("/")
        self.issuer = self.url
        self.redirect_uri = redirect_uri
        self._timeout = timeout

    # --- the test-control API ---------------------------------------------------------
    def _control(self, method: str, path: str, body: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(  # noqa: S310 - the mock's own http(s) URL
            f"{self.url}/__mock__/{path}", data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with _OPENER.open(req, timeout=self._timeout) as resp:
                answer: dict[str, Any] = json.loads(resp.read())
                return answer
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("error_description", "")
            except ValueError:
                detail = ""
            raise ConfigurationError(f"mock refused {path}: HTTP {exc.code} {detail}".strip(),
                                     code="mock_refused") from exc
        except OSError as exc:
            raise ConfigurationError(f"mock at {self.url} unreachable: {exc}",
                                     code="mock_unreachable") from exc

    def inject_error(self, error: str) -> None:
        """End the next authorization request with ``error`` (``access_denied``,
        ``login_required``, ``temporarily_unavailable``, ...), sent to the portal.

        :raises ConfigurationError: ``mock_refused`` for an error it cannot inject.
        """
        self._control("POST", "next-error", {"error": error})

    def inject_token_fault(self, fault: str) -> None:
        """Give the next ID token the named fault (see :data:`eid.testing.TOKEN_FAULTS`).

        :raises ConfigurationError: ``mock_refused`` for an unknown fault.
        """
        self._control("POST", "next-error", {"token_fault": fault})

    def inject_par_fault(self, fault: str) -> None:
        """Give the next pushed authorization request the named fault:
        ``expired_request_uri`` (its ``request_uri`` has already expired, so
        ``/authorize`` refuses it with ``invalid_request_uri``).

        :raises ConfigurationError: ``mock_refused`` for an unknown fault.
        """
        self._control("POST", "next-error", {"par_fault": fault})

    def rotate_keys(self, alg: str | None = None) -> list[str]:
        """Rotate the signing key of ``alg`` (default: all); returns the published ``kid`` s."""
        kids: list[str] = self._control("POST", "rotate-keys",
                                        {"alg": alg} if alg else {})["kids"]
        return kids

    def reset(self) -> None:
        """Forget sessions, codes, tokens, consents, grants and pending injections."""
        self._control("POST", "reset")

    def state(self) -> dict[str, Any]:
        """Persona, pending injections, published key ids, the test client."""
        return self._control("GET", "state")

    # --- logging in -------------------------------------------------------------------
    def relying_party(self, *, scopes: tuple[str, ...] = ("openid", "profile"),
                      redirect_uri: str | None = None, **kwargs: Any) -> RelyingParty:
        """A :class:`RelyingParty` for the test client at this mock."""
        return RelyingParty(issuer=self.issuer, client_id=self.client_id,
                            client_secret=self.client_secret,
                            redirect_uri=redirect_uri or self.redirect_uri, scopes=scopes,
                            **kwargs)

    def authorize(self, url: str, persona: str | None = None) -> str:
        """Follow an authorization URL as a browser with ``X-Eid-Test-Identity: persona``.

        Returns the URL the mock redirects to (the portal's callback with ``code``
        or ``error``, ``state`` and ``iss``).

        :raises LoginError: ``bad_response`` when the mock shows a screen instead
            (no persona, or an error page for an unknown client or redirect URI).
        """
        headers = {TEST_IDENTITY_HEADER: persona} if persona else {}
        req = urllib.request.Request(url, headers=headers)  # noqa: S310
        try:
            with _OPENER.open(req, timeout=self._timeout) as resp:
                status, location, body = resp.status, None, resp.read()
        except urllib.error.HTTPError as exc:
            status, location, body = exc.code, exc.headers.get("Location"), exc.read()
        if status in (302, 303) and location:
            target = urllib.parse.urljoin(url, location)
            if not target.startswith(self.url + "/"):
                return target
        text = body.decode("utf-8", "replace")[:300]
        raise LoginError(f"the mock did not send the browser back to the portal "
                         f"(HTTP {status}, Location {location!r}): {text}", code="bad_response")

    def login(self, persona: str | None = None, *, scopes: tuple[str, ...] = ("openid", "profile"),
              acr: str | None = None, prompt: str | None = None,
              rp: RelyingParty | None = None) -> LoginResult:
        """The whole code flow for ``persona``: authorize, token, ID token, userinfo.

        ``persona=None`` relies on the mock's own persona (``eid mock --persona``).

        Pass ``rp`` to reuse a relying party (its cached keys) across logins.

        :raises OAuthError: the mock answered with an error (e.g. an injected one,
            or ``access_denied`` for a level-1 citizen when ``acr="LoA2"``).
        :raises TokenError: the ID token failed verification (an injected fault).
        """
        rp = rp or self.relying_party(scopes=scopes)
        url, pending = rp.start_login(acr=acr, prompt=prompt, scopes=scopes)
        callback = self.authorize(url, persona)
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
        return rp.complete_login(params, pending)
