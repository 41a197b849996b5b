"""What a province's operations centre watches: Prometheus metrics (prometheus_client).

Names (all counters but the histogram):

* ``eid_http_requests_total{endpoint, method, status}`` and
  ``eid_http_request_duration_seconds{endpoint}``: ``endpoint`` is the Flask
  endpoint name (``api.token``, ``login.login_submit``; ``none`` for a path that
  matched no route), never the raw path, so the number of series is bounded
  whatever paths clients send; ``method`` is one of the standard methods or
  ``other``.
* ``eid_logins_total{outcome}``: password checks ``succeeded``, ``failed``
  (wrong password, unknown number, an account that may not log in) and
  ``locked`` (refused: the attempt window is full).
* ``eid_tokens_issued_total{grant_type}``: token responses (RFC 6749 §5.1),
  ``authorization_code`` or ``refresh_token``.
* ``eid_data_releases_total{action}``: entries appended to the data-access log
  (:mod:`service.audit`), per action (``userinfo``, ``id_token``, ``introspection``,
  ``revocation``, ...): each is a release of a citizen's data to a portal.
* ``eid_store_errors_total{store}``: ``StorageError`` seen by a request or a
  readiness check, per store: ``ephemeral`` (short-lived state: Redis),
  ``durable``, ``registry``; ``unknown`` when it came from elsewhere.

One process keeps its metrics in memory, in a registry of its own app (tests
build many apps in one process). gunicorn's workers are separate processes:
``eid serve`` gives them a directory (``Settings.metrics_dir``), each writes
its values there and ``/metrics`` sums every worker's (prometheus_client's
multiprocess mode), whichever worker answers the scrape.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

from eid.audit import ACTIONS
from eid.errors import ConfigurationError
from service.context import this_app, this_request

__all__ = ["GRANT_TYPES", "LOGIN_OUTCOMES", "STORES", "Metrics", "install_metrics", "metrics",
           "store_of"]

LOGIN_OUTCOMES = ("succeeded", "failed", "locked")
GRANT_TYPES = ("authorization_code", "refresh_token")
STORES = ("ephemeral", "durable", "registry")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_STARTED = "eid.metrics.started"  # the request's WSGI environ key: perf_counter() at start
_EXTENSION = "eid.metrics"


class Metrics:
    """The service's metrics, and their exposition.

    :raises ConfigurationError: ``invalid_setting`` when ``multiprocess_dir`` is given
        but prometheus_client was imported before its directory was in the
        environment (each worker would then count alone).
    """

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        own: CollectorRegistry | None = self.registry
        if multiprocess_dir is not None:
            # prometheus_client picks its value class once, at import, from
            # PROMETHEUS_MULTIPROC_DIR (gunicorn's raw_env puts it in each worker).
            if not getattr(values.ValueClass, "_multiprocess", False):
                raise ConfigurationError(
                    "prometheus_client is not in multiprocess mode: it was imported before "
                    "PROMETHEUS_MULTIPROC_DIR was set", code="invalid_setting")
            MultiProcessCollector(self.registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
            own = None  # the values live in the directory's files, summed at each scrape
        self.requests = Counter("eid_http_requests", "HTTP requests answered, per endpoint",
                                ("endpoint", "method", "status"), registry=own)
        self.latency = Histogram("eid_http_request_duration_seconds",
                                 "Time to answer an HTTP request, per endpoint",
                                 ("endpoint",), registry=own)
        self.logins = Counter("eid_logins", "Password checks at the login screen",
                              ("outcome",), registry=own)
        self.tokens = Counter("eid_tokens_issued", "Token responses, per grant type",
                              ("grant_type",), registry=own)
        self.releases = Counter("eid_data_releases",
                                "Releases of citizen data logged, per action", ("action",),
                                registry=own)
        self.store_errors = Counter("eid_store_errors", "Storage errors, per store",
                                    ("store",), registry=own)
        # Every series exists from the start, at 0: a rate() over a series that appears
        # only with the first failure misses that failure.
        for outcome in LOGIN_OUTCOMES:
            self.logins.labels(outcome)
        for grant in GRANT_TYPES:
            self.tokens.labels(grant)
        for store in STORES:
            self.store_errors.labels(store)
        for action in sorted(ACTIONS):
            self.releases.labels(action)

    def login(self, outcome: str) -> None:
        """Count one password check: ``succeeded``, ``failed`` or ``locked``."""
        self.logins.labels(outcome).inc()

    def release(self, action: str) -> None:
        """Count one release recorded in the data-access log."""
        self.releases.labels(action).inc()

    def store_error(self, store: str) -> None:
        self.store_errors.labels(store).inc()

    def exposition(self) -> Response:
        """The text format Prometheus scrapes."""
        return Response(generate_latest(self.registry), mimetype=None,
                        content_type=CONTENT_TYPE_LATEST)


def store_of(err: BaseException, stores: Mapping[str, object]) -> str:
    """Which of ``stores`` raised ``err``: the innermost frame of its traceback that is a
    method of one of them (a store may raise from a helper it calls); ``unknown``."""
    found = "unknown"
    tb: TracebackType | None = err.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        for name, store in stores.items():
            if owner is store:
                found = name
        tb = tb.tb_next
    return found


def metrics() -> Metrics:
    """The current app's metrics."""
    value: Metrics = this_app().extensions[_EXTENSION]
    return value


def install_metrics(app: Flask, multiprocess_dir: Path | None) -> Metrics:
    """Count every request of ``app`` (call before other ``before_request`` hooks,
    so the time includes them)."""
    m = Metrics(multiprocess_dir)
    app.extensions[_EXTENSION] = m

    # Each series' child, found once: labels() validates and locks on every call. The
    # keys are bounded as the series are (endpoint names, methods, status codes).
    counted: dict[tuple[str, str, int], Any] = {}
    timed: dict[str, Any] = {}

    def started() -> None:
        this_request().environ[_STARTED] = time.perf_counter()

    def answered(response: Response) -> Response:
        req = this_request()
        endpoint = req.endpoint or "none"
        method = req.method if req.method in _METHODS else "other"
        status = response.status_code
        child = counted.get((endpoint, method, status))
        if child is None:
            child = counted[(endpoint, method, status)] = m.requests.labels(
                endpoint, method, str(status))
        child.inc()
        began = req.environ.get(_STARTED)
        if isinstance(began, float):
            clock = timed.get(endpoint)
            if clock is None:
                clock = timed[endpoint] = m.latency.labels(endpoint)
            clock.observe(time.perf_counter() - began)
        if endpoint == "api.token" and response.status_code == 200:
            # A 200 from the token endpoint is a token issued (RFC 6749 §5.1); only a
            # supported grant type gets one, and the label stays bounded regardless.
            grant = req.form.get("grant_type", "")
            m.tokens.labels(grant if grant in GRANT_TYPES else "other").inc()
        return response

    app.before_request(started)
    app.after_request(answered)
    return m
