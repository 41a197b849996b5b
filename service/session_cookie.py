"""Flask's signed session cookie, without its per-request construction.

:class:`flask.sessions.SecureCookieSessionInterface` builds a new
``URLSafeTimedSerializer`` for every request, twice when the cookie is written
(open and save), and itsdangerous' constructor serialises ``{}`` to learn whether
the serializer is textual: about a tenth of a millisecond of each request's CPU,
also on the API endpoints (token, userinfo, JWKS) that never have a cookie. Here
the serializer is built once per key set and kept; the cookie's format, signature,
salt, key rotation (``SECRET_KEY_FALLBACKS``) and expiry are Flask's, unchanged,
and so are the answers: no cookie is a new empty session, a session neither
touched nor filled sets no cookie.

Writing the cookie of a login (a few short strings: the session's key, a CSRF token,
the language) is done here, not by itsdangerous and werkzeug: the same bytes their
path writes (tests/service/test_session_cookie.py compares them), for a fifth of the
CPU (0.4 M instructions of a 5.8 M login flow went to that one ``Set-Cookie``,
bench.instructions). Reading stays theirs: whatever arrives is checked by the library.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

__all__ = ["CachedCookieSessions"]

#: A cookie name as RFC 6265 §4.1.1 allows it (a token), written without quoting.
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: A path attribute werkzeug's dump_cookie writes as it is (what its quote() leaves).
_PATH = re.compile(r"/[A-Za-z0-9_.~%!$&'()*+,/:=@-]*")


@dataclass(frozen=True, slots=True)
class _Writer:
    """What writing a cookie needs, worked out once per key and cookie settings."""

    key: bytes  # derived from the secret key and the salt
    digest: str
    name: str
    attributes: str  # "; Secure; HttpOnly; Path=/; SameSite=Lax"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _plain(session: SessionMixin) -> bool:
    """Only strings, numbers, booleans and nulls under ordinary keys: values Flask's
    tagged JSON writes as plain JSON (its tags are one-key objects named " x")."""
    return all(type(k) is str and not k.startswith(" ")
               and (v is None or type(v) in (str, int, bool)) for k, v in session.items())


class CachedCookieSessions(SecureCookieSessionInterface):
    """The signed-cookie session of Flask with its serializer built once per key set."""

    def __init__(self) -> None:
        # (secret key, fallbacks) -> serializer: a changed key gets a serializer of its
        # own, so configuration changed after the first request still takes effect.
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}
        # (secret key, cookie settings) -> a _Writer, or None when the settings need
        # werkzeug's quoting (the general path then writes).
        self._writers: dict[tuple[Any, ...], _Writer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        key = (app.secret_key, *fallbacks)
        found = self._serializers.get(key, False)
        if found is False:
            # Dict assignment is atomic: two threads racing build equal serializers.
            found = self._serializers[key] = super().get_signing_serializer(app)
        return found  # type: ignore[return-value]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all (every portal back-channel call): nothing to parse.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()  # what Flask answers without a cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            # Flask's own early exit, before it reads seven cookie settings.
            if session.accessed:
                response.vary.add("Cookie")
            return
        writer = self._writer(app) if session and session.modified \
            and not session.permanent and _plain(session) else None
        if writer is None:  # a cookie to delete, a permanent one, tagged values
            super().save_session(app, session, response)
            return
        # itsdangerous' URLSafeTimedSerializer: base64url(JSON) "." base64url(time) "."
        # base64url(HMAC(key derived from the secret and salt, the two before)). JSON as
        # Flask's provider writes it (sorted keys, ASCII, no spaces); never compressed:
        # random tokens do not shrink, and an uncompressed payload reads the same.
        payload = json.dumps(dict(session), sort_keys=True, separators=(",", ":")).encode()
        now = int(time.time())
        signed = _b64(payload) + b"." + _b64(now.to_bytes((now.bit_length() + 7) // 8, "big"))
        signature = _b64(hmac.digest(writer.key, signed, writer.digest))
        cookie = f"{writer.name}={signed.decode()}.{signature.decode()}{writer.attributes}"
        if len(cookie) > app.config["MAX_COOKIE_SIZE"]:
            super().save_session(app, session, response)  # werkzeug warns of it
            return
        response.headers.add("Set-Cookie", cookie)
        response.vary.add("Cookie")

    def _writer(self, app: Flask) -> _Writer | None:
        settings = (app.secret_key, self.get_cookie_name(app), self.get_cookie_domain(app),
                    self.get_cookie_path(app), self.get_cookie_secure(app),
                    self.get_cookie_httponly(app), self.get_cookie_partitioned(app),
                    self.get_cookie_samesite(app))
        found = self._writers.get(settings, False)
        if found is False:
            found = self._writers[settings] = self._new_writer(settings)
        return found  # type: ignore[return-value]

    def _new_writer(self, settings: tuple[Any, ...]) -> _Writer | None:
        secret, name, domain, path, secure, httponly, partitioned, samesite = settings
        if not secret or self.key_derivation != "hmac" or not _COOKIE_NAME.fullmatch(name) \
                or domain is not None or partitioned or not _PATH.fullmatch(path) \
                or samesite not in (None, "Strict", "Lax", "None"):
            return None  # werkzeug's dump_cookie knows these; this is the common case only
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        salt = self.salt.encode() if isinstance(self.salt, str) else self.salt
        # By name, so that hmac.digest takes OpenSSL's one-call path (Flask's
        # digest_method is a Python function returning hashlib.sha1()).
        digest = self.digest_method().name
        # itsdangerous' "hmac" key derivation: HMAC(secret, salt), the cookie's digest.
        derived = hmac.digest(key, salt, digest)
        # werkzeug's dump_cookie order: Secure, HttpOnly, Path, SameSite.
        attributes = "".join(["; Secure" if secure else "", "; HttpOnly" if httponly else "",
                              f"; Path={path}", f"; SameSite={samesite}" if samesite else ""])
        return _Writer(derived, digest, name, attributes)
