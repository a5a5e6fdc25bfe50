"""Metrics of the API service: projector progress, purges, actions, HTTP requests, limits,
the smile-back queue."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "INCIDENT_ACTIONS",
    "PROJECTOR_LAG",
    "PROJECTOR_LAST_BATCH",
    "PROJECTOR_RESTARTS",
    "PROJECTOR_RETRIES",
    "PURGED",
    "RATE_LIMITED",
    "SMILE_QUEUE_DEPTH",
    "SMILE_QUEUE_OLDEST_AGE",
]

PROJECTOR_LAG = Gauge(
    "smileback_api_projector_lag_seconds",
    "Seconds from a record's event time to its projection into the store, by topic.",
    ["topic"],
)
PROJECTOR_LAST_BATCH = Gauge(
    "smileback_api_projector_last_batch_timestamp_seconds",
    "Unix time the projector last stored a batch.",
)
PROJECTOR_RETRIES = Counter(
    "smileback_api_projector_retries_total",
    "Batches written again after a transient database error.",
)
PROJECTOR_RESTARTS = Counter(
    "smileback_api_projector_restarts_total",
    "Times the projector re-joined its group after an error.",
)
PURGED = Counter(
    "smileback_api_purged_rows_total",
    "Rows deleted by retention, by table.",
    ["table"],
)
INCIDENT_ACTIONS = Counter(
    "smileback_api_incident_actions_total",
    "Responder actions taken through the API, by action.",
    ["action"],
)
RATE_LIMITED = Counter(
    "smileback_api_rate_limited_total",
    "Requests refused with 429, by API key id.",
    ["key_id"],
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
SMILE_QUEUE_DEPTH = Gauge(
    "smileback_smile_queue_depth",
    "Kind mentions in the smile-back queue not answered yet (read from the store per scrape).",
)
SMILE_QUEUE_OLDEST_AGE = Gauge(
    "smileback_smile_queue_oldest_age_seconds",
    "Age of the oldest unanswered smile-back entry; 0 when none waits.",
)
