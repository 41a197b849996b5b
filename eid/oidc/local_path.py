"""Where a portal may send a browser back to: same-site relative paths only.

A ``next=`` parameter that can name another origin turns a login, a logout
or a language switch into an open redirector, a phishing tool that borrows the
portal's name (RFC 9700 §4.11). Browsers are generous readers of URLs: the
WHATWG URL parser drops tabs and newlines anywhere (``/\\t/evil`` is
``//evil``), reads ``\\`` as ``/``, and strips leading spaces and controls. So
the rule here is an allow-list, not a list of known tricks: a path that starts
with one ``/``, without control, format or separator characters, backslashes or
encoded slashes and backslashes, at any depth of percent-encoding. Anything
else falls back to a fixed default, so bad input is never an error page (and
never reaches a ``Location`` header, where CR/LF would be a 500 or worse).

Framework-free: the Flask extension and the login service use the same function.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote, unquote, urlsplit

__all__ = ["quote_path", "safe_local_path"]

_MAX_LENGTH: Final = 2048
# RFC 3986 §3.3 pchar and "/" stay as they are; everything else is percent-encoded.
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~"
# Percent-decoding deeper than this is no path a portal ever builds.
_MAX_DECODES: Final = 3
_ENCODED_SLASH: Final = re.compile(r"%(2f|5c)", re.IGNORECASE).search
# Cc control, Cf format (zero-width, BOM, bidi), Zs/Zl/Zp separators (space
# included: a path a portal builds has its spaces encoded), Cs/Co/Cn oddities.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def _clean(text: str) -> bool:
    if "\\" in text:
        return False
    return not any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text)


def safe_local_path(target: object, default: str = "/") -> str:
    """``target`` if it is a same-site relative path (``/ct01?x=1#top``), else ``default``.

    The value is returned as given (not decoded), for a ``Location`` header or
    a link. ``default`` is the caller's own constant and is not checked.
    """
    if not isinstance(target, str) or not target or len(target) > _MAX_LENGTH:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    text = target
    for _ in range(_MAX_DECODES + 1):
        if not _clean(text) or _ENCODED_SLASH(text) or text.startswith("//"):
            return default
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    else:
        return default  # still changing: encoded more often than any real path
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def quote_path(path: str) -> str:
    """A decoded request path (what WSGI frameworks hand out) percent-encoded again.

    ``/thủ tục`` becomes ``/th%E1%BB%A7%20t%E1%BB%A5c`` and ``/\\host`` becomes
    ``/%5Chost``: a link or ``next=`` built from it names the page that was asked
    for, and :func:`safe_local_path` decides whether it may be used.
    """
    return quote(path, safe=_PATH_SAFE)
