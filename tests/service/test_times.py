"""Times a citizen sees are Vietnam's time (Asia/Ho_Chi_Minh) in the page's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from freezegun import freeze_time

from service.times import iso_time, local_time
from tests.service.flow import Flow

# 17:30 UTC on 1 December is 00:30 on 2 December in Vietnam: the date changes too.
LATE = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("when", "lang", "text"), [
    (LATE, "vi", "00:30, 02/12/2026"),
    (LATE, "en", "2 December 2026, 00:30"),
    (LATE.timestamp(), "vi", "00:30, 02/12/2026"),
    (dt.datetime(2026, 3, 5, 2, 7, tzinfo=dt.UTC), "en", "5 March 2026, 09:07"),
    (dt.datetime(2026, 3, 5, 2, 7, tzinfo=dt.UTC), "fr", "09:07, 05/03/2026"),  # vi default
])
def test_local_time(when: float | dt.datetime, lang: str, text: str) -> None:
    assert local_time(when, lang) == text


def test_iso_time_carries_vietnam_s_offset() -> None:
    assert iso_time(LATE) == "2026-12-02T00:30:00+07:00"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        local_time(dt.datetime(2026, 1, 1))  # naive: the point of the test


@pytest.mark.parametrize(("lang", "text"), [("vi", "00:30, 02/12/2026"),
                                            ("en", "2 December 2026, 00:30")])
def test_my_data_shows_the_consent_time_in_vietnam_s_time(flow: Flow, lang: str,
                                                           text: str) -> None:
    with freeze_time(LATE):
        flow.authorize(flow.request())
        page = flow.browser.get(f"/my-data?lang={lang}").get_data(as_text=True)
    assert re.search(rf'<time datetime="2026-12-02T00:30:00\+07:00">{re.escape(text)}</time>',
                     page), page
    assert "UTC" not in page
