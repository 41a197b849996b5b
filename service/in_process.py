"""An :class:`eid.oidc.HttpClient` served by a Flask app in process, without a network.

For the tests and benchmarks that drive :class:`eid.oidc.RelyingParty` against the
login service itself: the relying party's back channel goes through Flask's test
client, so the whole exchange runs in one process (and one profile).
"""

from __future__ import annotations

import urllib.parse

from flask.testing import FlaskClient

from eid.oidc.http import HttpResponse

__all__ = ["InProcessHttp"]


class InProcessHttp:
    """Sends each request to ``client``'s app; ``calls`` records ``(path, status)``."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client
        self.calls: list[tuple[str, int]] = []

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> HttpResponse:
        """The app's answer to ``method url`` (only the path and query are used)."""
        parts = urllib.parse.urlsplit(url)
        r = self._client.open(parts.path, method=method, query_string=parts.query,
                              headers=headers or {}, data=form)
        self.calls.append((parts.path, r.status_code))
        return HttpResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()},
                            r.get_data())
