"""Vietnamese first, English on request: the page language and its texts.

Texts are data (``service/translations/<lang>.json``). The language is, in
order: an explicit switch (``?lang=``, remembered in the session), the
authorization request's ``ui_locales`` (OIDC Core §3.1.2.1), then Vietnamese.

A new authorization request whose ``ui_locales`` names a supported language is
remembered like a switch: it is the choice the citizen made last (at the portal),
so it beats a language remembered from an earlier visit, holds on every screen of
that login (login, consent, errors), and a switch on those screens still wins.
"""

from __future__ import annotations

from functools import cache
from typing import Final
from urllib.parse import urlencode

from flask import request

from eid.datafiles import data_path, read_json
from eid.oidc import first_supported, quote_path, safe_local_path
from service.context import this_globals, this_request, this_session

__all__ = ["LANGS", "choose_lang", "lang", "switch_url", "texts", "translate"]

LANGS: Final = ("vi", "en")


@cache
def texts(code: str) -> dict[str, str]:
    """The texts of ``code`` (loaded once)."""
    data: dict[str, str] = read_json(data_path("service", "translations", f"{code}.json"))
    return data


def pick(ui_locales: str | None) -> str | None:
    """The first supported language of a space-separated list of BCP 47 tags
    (malformed and unsupported tags are passed over)."""
    return first_supported(ui_locales, LANGS)


def choose_lang(ui_locales: str | None = None, *, new_request: bool = False) -> str:
    """Decide (and remember on ``g``) this response's language.

    :param new_request: ``ui_locales`` comes with a new authorization request: a
        supported language in it is remembered for the rest of the login.
    """
    switch = this_request().args.get("lang")
    asked = pick(ui_locales) if new_request else None
    session, ctx = this_session(), this_globals()
    if switch in LANGS:
        session["lang"] = switch
        ctx.lang = switch
    elif asked is not None:
        session["lang"] = asked
        ctx.lang = asked
    else:
        ctx.lang = session.get("lang") or pick(ui_locales) or "vi"
    return str(ctx.lang)


def lang() -> str:
    """The language of the current response."""
    return str(this_globals().get("lang") or this_session().get("lang") or "vi")


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
