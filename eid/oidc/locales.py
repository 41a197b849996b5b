"""``ui_locales`` (OIDC Core §3.1.2.1): the citizen's preferred languages, as BCP 47 tags.

A space-separated list, most preferred first. Both sides read it with the same rule:
a portal passes on the language its citizen chose, a provider shows the first it
supports. Tags that are not well-formed language tags (RFC 5646 §2.1, the common
``language[-subtag...]`` shape) are dropped, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_UI_LOCALES", "first_supported", "language_tags"]

#: At most this many tags are read; a longer list is cut, not refused.
MAX_UI_LOCALES: Final = 8
# RFC 5646 §2.1: a primary language subtag of 2-8 letters, then subtags of 1-8
# letters or digits (region, script, variant...), separated by hyphens.
_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,7}").fullmatch


def language_tags(value: str | None) -> tuple[str, ...]:
    """The well-formed tags of a ``ui_locales`` value, in order, without repeats."""
    if not isinstance(value, str):
        return ()
    tags = [t for t in value.split(" ") if t and _TAG(t)]
    return tuple(dict.fromkeys(tags))[:MAX_UI_LOCALES]


def first_supported(value: str | None, supported: Iterable[str]) -> str | None:
    """The first language of ``value`` that is in ``supported`` (primary subtags, any
    case: ``en-GB`` picks ``en``), or ``None``; unsupported tags are passed over."""
    codes = {s.lower() for s in supported}
    for tag in language_tags(value):
        code = tag.split("-", 1)[0].lower()
        if code in codes:
            return code
    return None
