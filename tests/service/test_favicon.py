"""The login service answers /favicon.ico with its icon (browsers ask on every page)."""

from __future__ import annotations

from flask import Flask


def test_the_favicon_is_a_small_icon(app: Flask) -> None:
    resp = app.test_client().get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert resp.data[:4] == b"\x00\x00\x01\x00" and len(resp.data) < 10_000  # an ICO file
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
