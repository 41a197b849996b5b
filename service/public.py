"""Responses anyone may read and cache: discovery, keys, issuer metadata, status lists,
transparency checkpoints and proofs.

One place for their headers, so every public document says the same: any origin may
read it (a browser-based wallet or auditor fetches it cross-origin; it holds nothing
private), and how long a cache may keep it.
"""

from __future__ import annotations

from flask import Response

__all__ = ["public"]


def public(response: Response, cache: str) -> Response:
    """``response`` with ``Cache-Control: cache`` and ``Access-Control-Allow-Origin: *``."""
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
