"""For operators: ``/healthz`` (alive), ``/readyz`` (stores reachable), ``/metrics``.

* ``/healthz`` touches no store: a supervisor restarting "unhealthy" processes
  must not restart every worker because Redis is down (a restart cannot fix it).
* ``/readyz`` is 503 while any store is unreachable, naming which, so a load
  balancer sends logins elsewhere meanwhile.
* ``/metrics`` (Prometheus text format, :mod:`service.metrics`) is for the
  operators' scraper only: it answers a Bearer ``EID_METRICS_TOKEN`` (RFC 6750
  §2.1) and does not exist without one. Not "loopback only": behind a reverse
  proxy on the same machine every request comes from loopback.

All three are ``Cache-Control: no-store`` (a cached "ready" is a lie) and
outside discovery.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue

from service.errors import RETRY_AFTER
from service.health import check_stores
from service.metrics import metrics
from service.provider import provider

__all__ = ["bp"]

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks = check_stores(provider())
    for name, ok in checks.items():
        if not ok:
            metrics().store_error(name)
    ready = all(checks.values())
    response = jsonify(status="ready" if ready else "unavailable",
                       stores={name: "ok" if ok else "unavailable"
                               for name, ok in checks.items()})
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def _bearer_matches(expected: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Equal-length digests: compare_digest's time then says nothing about the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        hashlib.sha256(presented.strip().encode("utf-8", "surrogatepass")).digest(),
        hashlib.sha256(expected.encode("utf-8")).digest())


@bp.get("/metrics")
def prometheus() -> ResponseReturnValue:
    expected = provider().settings.metrics_token
    if expected is None:
        abort(404)
    if not _bearer_matches(expected):
        response = Response("a Bearer token is required\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="eid-metrics"'
        return response
    return metrics().exposition()
