"""What `ingest webhook` counts, served at its `/metrics` with every shared metric."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["ACCEPTED", "REJECTED", "REQUEST_SECONDS"]

ACCEPTED = Counter(
    "smileback_ingest_webhook_accepted_mentions_total",
    "Mentions answered 202: written and acknowledged by Kafka.",
)
REJECTED = Counter(
    "smileback_ingest_webhook_rejected_requests_total",
    "Requests to /v1/ingest not answered 202, by HTTP status and reason.",
    ["status", "reason"],
)
REQUEST_SECONDS = Histogram(
    "smileback_ingest_webhook_request_seconds",
    "Time to answer one request to /v1/ingest, whatever the answer.",
)
