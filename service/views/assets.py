"""Files browsers fetch at fixed paths on their own: ``/favicon.ico``.

Without it every page view logs a 404 (and some browsers retry it); the icon itself is
drawn by tools/make_favicons.py.
"""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from flask.typing import ResponseReturnValue

__all__ = ["bp"]

bp = Blueprint("assets", __name__)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    folder = current_app.static_folder
    assert folder is not None  # noqa: S101 - the app is built with its static folder
    return send_from_directory(folder, "favicon.ico", mimetype="image/x-icon")
