"""What every ingest source shows on /metrics besides the shared stage metrics (the webhook's
own are in webhook/metrics.py)."""

from __future__ import annotations

from prometheus_client import Gauge

__all__ = ["SOURCES"]

SOURCES = Gauge(
    "smileback_ingest_sources",
    "1 for each source this ingest process follows (mastodon, jetstream, webhook).",
    ["source"],
)
