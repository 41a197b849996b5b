"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


# --- shared reference data ---------------------------------------------------
# The reference CSVs (domain facts) live outside the repository and are read in
# place, never copied in. Locally a missing directory skips the tests that need
# it; in CI (``CI`` set) it fails them, so a misconfigured runner cannot go green
# by skipping.
@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the shared data directory (``$EID_SHARED_DIR``, default ``<repo>/../shared``)."""
    default = Path(__file__).resolve().parent.parent.parent / "shared"
    path = Path(os.environ.get("EID_SHARED_DIR") or default)
    if not (path / "domain").is_dir():
        message = f"shared data not found at {path}; set EID_SHARED_DIR"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
