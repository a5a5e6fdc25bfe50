"""Metrics of the scorer (stage-wide ones live in smileback.common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["DUPLICATES", "EXPIRED", "PARTITIONS"]

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
