"""Times as citizens read them: Vietnam's time (Asia/Ho_Chi_Minh), in the page's language.

Stores keep UTC epoch seconds; every screen that shows a time to a citizen (the consent
time on "My shared data", "Who accessed my data", the portal's receipts) formats it
here, so no page shows UTC or ISO text. Month names are spelled out here rather than
taken from the C library's locale, which differs between machines.

``zoneinfo`` needs the IANA database: the system's, or the ``tzdata`` package (a
dependency of ``eid[service]``) on machines without one.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

__all__ = ["VIETNAM", "iso_time", "local_time"]

#: Vietnam's time (UTC+7 all year).
VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")
_MONTHS_EN: Final = ("January", "February", "March", "April", "May", "June", "July",
                     "August", "September", "October", "November", "December")


def _at(when: float | dt.datetime) -> dt.datetime:
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("a naive datetime has no known time zone")
        return when.astimezone(VIETNAM)
    return dt.datetime.fromtimestamp(when, VIETNAM)


def local_time(when: float | dt.datetime, lang: str = "vi") -> str:
    """``when`` (epoch seconds or an aware datetime) in Vietnam's time: ``14:05, 01/12/2026``
    in Vietnamese (the administrative order: time, then day/month/year), ``1 December
    2026, 14:05`` in English."""
    t = _at(when)
    if lang == "en":
        return f"{t.day} {_MONTHS_EN[t.month - 1]} {t.year}, {t:%H:%M}"
    return f"{t:%H:%M, %d/%m/%Y}"


def iso_time(when: float | dt.datetime) -> str:
    """``when`` as ISO 8601 with Vietnam's offset (for ``<time datetime=...>``)."""
    return _at(when).isoformat(timespec="seconds")
