"""Metrics of the API service: projector lag and HTTP requests."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["HTTP_REQUESTS", "HTTP_SECONDS", "PROJECTOR_LAG", "PROJECTOR_RESTARTS"]

PROJECTOR_LAG = Gauge(
    "smileback_api_projector_lag_seconds",
    "Seconds from a record's event time to its projection into the store, by topic.",
    ["topic"],
)
PROJECTOR_RESTARTS = Counter(
    "smileback_api_projector_restarts_total",
    "Times the projector re-joined its group after an error.",
)
HTTP_REQUESTS = Counter(
    "smileback_api_requests_total",
    "HTTP requests served, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "smileback_api_request_seconds",
    "Time to serve an HTTP request, by route template.",
    ["route"],
)
