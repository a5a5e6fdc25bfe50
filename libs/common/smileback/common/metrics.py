"""Metrics every stage shares (served by health.serve_health or the API's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["DLQ_RECORDS", "RECORDS", "STAGE_SECONDS"]

RECORDS = Counter(
    "smileback_records_total", "Records handled, by stage and outcome.", ["stage", "outcome"]
)
DLQ_RECORDS = Counter(
    "smileback_dlq_records_total", "Records sent to the DLQ, by stage.", ["stage"]
)
STAGE_SECONDS = Histogram(
    "smileback_stage_batch_seconds", "Time to handle one batch, by stage.", ["stage"]
)
