"""The receiving office answers /favicon.ico with its icon (browsers ask on every page)."""

from __future__ import annotations

from service.office import OfficeSettings, create_office_app


def test_the_favicon_is_a_small_icon() -> None:
    app = create_office_app(settings=OfficeSettings(issuer="http://127.0.0.1:5000"))
    resp = app.test_client().get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert resp.data[:4] == b"\x00\x00\x01\x00" and len(resp.data) < 10_000  # an ICO file
