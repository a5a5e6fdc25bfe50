"""Metrics of the scorer (stage-wide ones live in smileback.common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["DUPLICATES", "EXPIRED", "MODEL_SCORING_SECONDS", "PARTITIONS"]

PARTITIONS = Gauge(
    "smileback_scorer_partitions",
    "Partitions of the raw mentions topic this worker owns, its table state recovered.",
)
DUPLICATES = Counter(
    "smileback_scorer_duplicates_total",
    "Mentions whose id their thread had seen already, scored again but not counted again.",
)
EXPIRED = Counter(
    "smileback_scorer_expired_keys_total",
    "Table keys deleted because they were idle past their table's horizon (expiry.py).",
    ["table"],
)
MODEL_SCORING_SECONDS = Histogram(
    "smileback_model_scoring_seconds",
    "Time of one text-scoring call of the negativity model (a batch's texts at once).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
