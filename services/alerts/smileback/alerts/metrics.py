"""Metrics of the alerts service (stage-wide ones live in smileback.common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["DECISIONS", "PAGES"]

PAGES = Counter(
    "smileback_pages_total", "Pages by outcome: delivered or dead_lettered.", ["outcome"]
)
DECISIONS = Counter("smileback_alert_decisions_total", "Policy decisions by action.", ["action"])
