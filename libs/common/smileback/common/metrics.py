"""Metrics every stage shares, and the endpoint that serves them."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

__all__ = ["DLQ_RECORDS", "RECORDS", "STAGE_SECONDS", "serve_metrics"]

RECORDS = Counter(
    "smileback_records_total", "Records handled, by stage and outcome.", ["stage", "outcome"]
)
DLQ_RECORDS = Counter(
    "smileback_dlq_records_total", "Records sent to the DLQ, by stage.", ["stage"]
)
STAGE_SECONDS = Histogram(
    "smileback_stage_batch_seconds", "Time to handle one batch, by stage.", ["stage"]
)


def serve_metrics(*, port: int, host: str) -> None:
    """Serve /metrics on `port` from a background thread (0 turns it off)."""
    if port:
        start_http_server(port, addr=host)
