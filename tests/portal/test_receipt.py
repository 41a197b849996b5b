"""A receipt carries its date, time (Vietnam's, in the page's language) and status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time

from tests.oidc.fake_provider import FakeProvider
from tests.portal.test_portal import app, provider, registry, sign_in

__all__ = ["app", "provider", "registry"]

# 17:30 UTC on 1 December is 00:30 on 2 December in Vietnam.
LATE = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("lang", "when", "status"), [
    ("vi", "00:30, 02/12/2026", "Đã tiếp nhận, đang chờ xử lý"),
    ("en", "2 December 2026, 00:30", "Received, awaiting processing"),
])
def test_the_receipt_says_when_and_what_state(app: Flask, provider: FakeProvider,
                                              registry: Any, lang: str, when: str,
                                              status: str) -> None:
    client = app.test_client()
    client.get(f"/lang/{lang}")
    sign_in(client, provider, registry, "/procedures/ct01")
    with freeze_time(LATE):
        filing = app.extensions["portal"]["filings"].add("pairwise-1", "ct01", "LoA2", {})
    assert filing.reference.startswith("HS-20261202-")  # Vietnam's date
    page = client.get(f"/filings/{filing.reference}").text
    assert f'datetime="2026-12-02T00:30:00+07:00">{when}</time>' in page
    assert status in page
    listing = client.get("/filings").text
    assert when in listing and status in listing


@pytest.mark.parametrize(("entry", "kind"), [
    ({"value": "Nguyễn Văn Hùng", "source": "population_db", "verified": True}, "registry"),
    # Phone and e-mail are prefilled from the e-ID account, never attested by the registry.
    ({"value": "0912345678", "source": "population_db", "verified": False}, "account"),
    ({"value": "Tạm trú", "source": "user", "verified": False}, "citizen"),
])
def test_the_receipt_calls_verified_only_what_the_registry_attests(
        app: Flask, provider: FakeProvider, registry: Any, entry: dict[str, Any],
        kind: str) -> None:
    client = app.test_client()
    sign_in(client, provider, registry, "/procedures/ct01")
    filing = app.extensions["portal"]["filings"].add(
        "pairwise-1", "ct01", "LoA2", {"ct01": {"phone": {**entry, "retrieved_at": None}}})
    page = client.get(f"/filings/{filing.reference}").text
    assert f'data-kind="{kind}"' in page
    assert ("(đã xác thực)" in page) == (kind == "registry")
