"""Metrics of the alerts service (stage-wide ones live in smileback.common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ACK_LATENCY",
    "AUTHOR_FOLLOWERS",
    "BRAND_SURGE_RATIO",
    "COMPLAINTS",
    "DECISIONS",
    "INCIDENTS_OPENED",
    "MENTION_NEGATIVITY",
    "OPEN_INCIDENTS",
    "OTHER_BRAND",
    "OUTBOX_DEPTH",
    "OUTBOX_OLDEST_AGE",
    "PAGES",
    "PAGE_LATENCY",
    "TRANSITIONS",
]

# The `brand` label of a mention whose brand the alerts config does not name: the label
# takes configured brands only, so a record cannot add series.
OTHER_BRAND = "other"

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
OUTBOX_OLDEST_AGE = Gauge(
    "smileback_outbox_oldest_age_seconds",
    "Age of the oldest notification not yet delivered; 0 when the outbox is empty.",
)
OPEN_INCIDENTS = Gauge(
    "smileback_open_incidents", "Open (incl. acknowledged) incidents by severity.", ["severity"]
)
DECISIONS = Counter("smileback_alert_decisions_total", "Policy decisions by action.", ["action"])
INCIDENTS_OPENED = Counter(
    "smileback_incidents_opened_total",
    "Incidents opened, by rule and severity.",
    ["rule", "severity"],
)
TRANSITIONS = Counter(
    "smileback_incident_transitions_total",
    "Incident state changes: opened, paged, escalated, acknowledged, resolved.",
    ["state"],
)
ACK_LATENCY = Histogram(
    "smileback_ack_latency_seconds",
    "From an incident's first page to its acknowledgement.",
    buckets=(30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400),
)
MENTION_NEGATIVITY = Histogram(
    "smileback_mention_negativity",
    "The negativity score (0..1) of scored mentions, by configured brand.",
    ["brand"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
AUTHOR_FOLLOWERS = Histogram(
    "smileback_author_followers",
    "Followers of the authors of scored mentions (reach), by configured brand.",
    ["brand"],
    buckets=(10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000),
)
COMPLAINTS = Counter(
    "smileback_complaints_total",
    "Negative mentions (complaints), by configured brand and their author's reach tier.",
    ["brand", "tier"],
)
BRAND_SURGE_RATIO = Gauge(
    "smileback_brand_surge_ratio",
    "A configured brand's complaints in the last hour over its usual hour, as the surge rule"
    " last read it (set at each complaint).",
    ["brand"],
)
