"""Vietnamese first, English on request: the page language and its texts.

Texts are data (``service/translations/<lang>.json``). The language is, in
order: an explicit switch (``?lang=``, remembered in the session), the
authorization request's ``ui_locales`` (OIDC Core §3.1.2.1), then Vietnamese.
"""

from __future__ import annotations

from functools import cache
from typing import Final
from urllib.parse import urlencode

from flask import g, request, session

from eid.datafiles import data_path, read_json
from eid.oidc import quote_path, safe_local_path

__all__ = ["LANGS", "choose_lang", "lang", "switch_url", "texts", "translate"]

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


def switch_url(code: str) -> str:
    """This page in language ``code`` (the English/Vietnamese switch), or the home page.

    Error pages render it for any request path, so the path is hostile: it is
    encoded again (Werkzeug's ``request.path`` is decoded, ``/%5Chost`` reads
    ``/\\host``) and must pass the one same-site rule, else the link is ``/``.
    """
    args = {k: v for k, v in request.args.items() if k != "lang"}
    args["lang"] = code
    home = "/?" + urlencode({"lang": code})
    path = safe_local_path(quote_path(request.path), default="")
    return f"{path}?{urlencode(args)}" if path else home
