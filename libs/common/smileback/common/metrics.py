"""Metrics every stage shares (served by health.serve_health or the API's /metrics).

Label values stay few: a stage, an outcome, a DLQ reason code (`dlq_reason`), a topic and
partition; never an id or a text from a record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCH_RECORDS",
    "CONSUMER_LAG",
    "DLQ_RECORDS",
    "LAST_BATCH",
    "RECORDS",
    "STAGE_SECONDS",
    "timed_batch",
]

RECORDS = Counter(
    "smileback_records_total", "Records handled, by stage and outcome.", ["stage", "outcome"]
)
DLQ_RECORDS = Counter(
    "smileback_dlq_records_total",
    "Records sent to the DLQ, by stage and reason (malformed_json, invalid_utf8, oversized,"
    " schema, processing, delivery).",
    ["stage", "reason"],
)
STAGE_SECONDS = Histogram(
    "smileback_stage_batch_seconds", "Time to handle one batch, by stage.", ["stage"]
)
BATCH_RECORDS = Histogram(
    "smileback_batch_records",
    "Records in one batch a stage handled, by stage.",
    ["stage"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000),
)
LAST_BATCH = Gauge(
    "smileback_last_batch_timestamp_seconds",
    "Unix time a stage last finished a batch; a stalled stage stops moving it.",
    ["stage"],
)
CONSUMER_LAG = Gauge(
    "smileback_consumer_lag_records",
    "Records of a partition the group has not consumed yet (log end offset minus position).",
    ["group", "topic", "partition"],
)


@contextmanager
def timed_batch(stage: str, *, size: int) -> Iterator[None]:
    """Time one batch of `size` records of `stage`; a batch that raises is timed but does
    not count as finished."""
    BATCH_RECORDS.labels(stage=stage).observe(size)
    with STAGE_SECONDS.labels(stage=stage).time():
        yield
    LAST_BATCH.labels(stage=stage).set(time.time())
