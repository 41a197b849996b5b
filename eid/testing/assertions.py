"""Client assertions for ``private_key_jwt`` (RFC 7523 §2.2, §3; OIDC Core §9), for
testers who authenticate a portal written in another language by hand
(``eid token client-assertion``) and for tests.

What the login service accepts (see :mod:`eid.oidc.client_assertion`): ES256 or
PS256, ``iss`` = ``sub`` = the client id, ``aud`` the issuer as one string, ``exp``
at most 5 minutes ahead, a fresh ``jti`` each time.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from eid.signing import SigningKey, sign_token

__all__ = ["make_client_assertion"]


def make_client_assertion(
    client_id: str, audience: str, key: SigningKey, *, lifetime: int = 60,
    now: float | None = None, claims: Mapping[str, Any] | None = None,
) -> str:
    """A signed client assertion for ``client_id`` addressed to ``audience``.

    :param key: the client's private key (its ``alg`` and ``kid`` go into the header).
    :param claims: extra or overriding claims (a value of ``None`` removes the claim),
        to build a faulty assertion on purpose.
    """
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {"iss": client_id, "sub": client_id, "aud": audience,
                            "jti": secrets.token_urlsafe(24), "iat": issued,
                            "exp": issued + lifetime}
    for name, value in (claims or {}).items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return sign_token(body, key, typ=None)
