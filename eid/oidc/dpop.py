"""DPoP proofs for a relying party (RFC 9449).

With DPoP the access token is bound to a key the portal holds: a stolen token
is useless without a fresh proof signed by that key for the exact request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable

from eid.signing import SigningKey, sign_segments
from eid.verify._codec import b64url_encode

__all__ = ["DpopKey"]


def _now() -> float:
    # time.time looked up per call, not bound at definition, so freezegun reaches it.
    return time.time()


class DpopKey:
    """The portal's proof-of-possession key (ES256, generated unless given)."""

    def __init__(self, key: SigningKey | None = None, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.key = key or SigningKey.generate("ES256", "dpop")[0]
        self._clock = clock or _now
        # RFC 9449 §4.2: the public key goes in the header, without private members.
        jwk = {k: v for k, v in self.key.public_jwk.items() if k in ("kty", "crv", "x", "y", "n",
                                                                     "e")}
        self._header = b64url_encode(json.dumps(
            {"typ": "dpop+jwt", "alg": self.key.alg, "jwk": jwk}, separators=(",", ":")).encode())

    def proof(self, method: str, url: str, *, access_token: str | None = None,
              nonce: str | None = None) -> str:
        """A proof for one request (RFC 9449 §4.2): ``htm``, ``htu``, ``iat``, ``jti``,
        ``ath`` when presenting an access token, and the server's ``nonce`` when it gave one."""
        parts = urllib.parse.urlsplit(url)
        claims: dict[str, object] = {
            "jti": secrets.token_urlsafe(16), "htm": method.upper(),
            # §4.2: htu is the URI without query and fragment.
            "htu": urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "iat": int(self._clock()),
        }
        if access_token is not None:
            claims["ath"] = b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        body = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        return sign_segments(self._header, body, self.key)
