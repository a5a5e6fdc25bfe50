"""Send a record a stage cannot handle to the dead-letter topic; the stream goes on.

Each DLQ record is counted in `smileback_dlq_records_total{stage, reason}`. The reason is
a short code, never the error's own text: the caller names it when it knows (a record that
failed processing, a notification that could not be delivered), else `dlq_reason` reads it
from the error the decoders write (invalid UTF-8, invalid JSON, an oversized event; any
other refusal is the schema's).
"""

from __future__ import annotations

from typing import Final

import structlog

from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.events import DlqRecord, encode
from smileback.common.metrics import DLQ_RECORDS
from smileback.common.topics import Topics

__all__ = [
    "DELIVERY",
    "INVALID_UTF8",
    "MALFORMED_JSON",
    "OVERSIZED",
    "PROCESSING",
    "SCHEMA",
    "dead_letter",
    "dlq_reason",
    "send_to_dlq",
]

log = structlog.get_logger(__name__)

INVALID_UTF8: Final = "invalid_utf8"
MALFORMED_JSON: Final = "malformed_json"
OVERSIZED: Final = "oversized"
SCHEMA: Final = "schema"
PROCESSING: Final = "processing"  # the record was readable; handling it failed
DELIVERY: Final = "delivery"  # a notification its notifier gave up on

# What the decoders' messages say (events.decode, payload.py, the SSE parser, the webhook),
# in the order they are told apart: pydantic says "Invalid JSON" for bytes it cannot parse.
_BY_TEXT = (
    ("invalid utf-8", INVALID_UTF8),
    ("invalid json", MALFORMED_JSON),
    ("malformed json", MALFORMED_JSON),
    ("larger than", OVERSIZED),
    ("should have at most", OVERSIZED),  # pydantic's length limits (text, lists)
)


def dlq_reason(error: str) -> str:
    """The reason code of a decoder's error message; `schema` for any other refusal."""
    text = error.lower()
    return next((code for phrase, code in _BY_TEXT if phrase in text), SCHEMA)


def send_to_dlq(
    *,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stage: str,
    error: str,
    raw: bytes,
    source_id: str | None = None,
    topic: str | None = None,
    reason: str | None = None,
) -> DlqRecord:
    """Publish a DLQ record with the raw bytes and count it under `reason` (None: read from
    `error` by `dlq_reason`)."""
    record = DlqRecord.of(
        stage=stage, error=error, raw=raw, at=clock(), source_id=source_id, topic=topic
    )
    bus.publish(topics.dlq, key=source_id, value=encode(record))
    code = reason or dlq_reason(error)
    DLQ_RECORDS.labels(stage=stage, reason=code).inc()
    log.warning(
        "dead-lettered",
        stage=stage,
        reason=code,
        error=record.error,
        source_id=source_id,
        topic=topic,
    )
    return record


def dead_letter(
    *,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stage: str,
    record: Record,
    error: str,
    reason: str | None = None,
) -> DlqRecord:
    """Dead-letter a consumed record, keyed by its own key (the thread root or event id)."""
    return send_to_dlq(
        bus=bus,
        topics=topics,
        clock=clock,
        stage=stage,
        error=error,
        raw=record.value,
        source_id=record.key.decode("utf-8", errors="replace") if record.key is not None else None,
        topic=record.topic,
        reason=reason,
    )
