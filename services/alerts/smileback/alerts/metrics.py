"""Metrics of the alerts service (stage-wide ones live in smileback.common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["DECISIONS", "OPEN_INCIDENTS", "OUTBOX_DEPTH", "PAGES", "PAGE_LATENCY"]

PAGES = Counter(
    "smileback_pages_total",
    "Notification delivery attempts by notifier, kind (trigger, acknowledge, resolve) and"
    " outcome (delivered, retried, dead_lettered).",
    ["notifier", "kind", "outcome"],
)
PAGE_LATENCY = Histogram(
    "smileback_page_latency_seconds",
    "From the triggering mention's ingest to its page's delivery, by notifier.",
    ["notifier"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600),
)
OUTBOX_DEPTH = Gauge("smileback_outbox_depth", "Notifications stored and not yet delivered.")
OPEN_INCIDENTS = Gauge(
    "smileback_open_incidents", "Open (incl. acknowledged) incidents by severity.", ["severity"]
)
DECISIONS = Counter("smileback_alert_decisions_total", "Policy decisions by action.", ["action"])
