"""Vietnamese first, English on request: the page language and its texts.

Texts are data (``service/translations/<lang>.json``). The language is, in
order: an explicit switch (``?lang=``, remembered in the session), the
authorization request's ``ui_locales`` (OIDC Core §3.1.2.1), then Vietnamese.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from flask import g, request, session

from eid.datafiles import data_path, read_json

__all__ = ["LANGS", "choose_lang", "lang", "texts", "translate"]

LANGS: Final = ("vi", "en")


@cache
def texts(code: str) -> dict[str, str]:
    """The texts of ``code`` (loaded once)."""
    data: dict[str, str] = read_json(data_path("service", "translations", f"{code}.json"))
    return data


def pick(ui_locales: str | None) -> str | None:
    """The first supported language of a space-separated ``ui_locales`` list."""
    for tag in (ui_locales or "").split():
        code = tag.split("-")[0].lower()
        if code in LANGS:
            return code
    return None


def choose_lang(ui_locales: str | None = None) -> str:
    """Decide (and remember on ``g``) this response's language."""
    switch = request.args.get("lang")
    if switch in LANGS:
        session["lang"] = switch
        g.lang = switch
    else:
        g.lang = session.get("lang") or pick(ui_locales) or "vi"
    return str(g.lang)


def lang() -> str:
    """The language of the current response."""
    return str(g.get("lang") or session.get("lang") or "vi")


def translate(key: str, **values: object) -> str:
    """The text ``key`` in the current language (Vietnamese, then the key, as fallbacks)."""
    text = texts(lang()).get(key) or texts("vi").get(key) or key
    return text.format(**values) if values else text
