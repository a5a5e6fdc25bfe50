"""Send a record a stage cannot handle to the dead-letter topic; the stream goes on."""

from __future__ import annotations

import structlog

from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.events import DlqRecord, encode
from smileback.common.metrics import DLQ_RECORDS
from smileback.common.topics import Topics

__all__ = ["dead_letter", "send_to_dlq"]

log = structlog.get_logger(__name__)


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
) -> DlqRecord:
    """Publish a DLQ record with the raw bytes and count it."""
    record = DlqRecord.of(
        stage=stage, error=error, raw=raw, at=clock(), source_id=source_id, topic=topic
    )
    bus.publish(topics.dlq, key=source_id, value=encode(record))
    DLQ_RECORDS.labels(stage=stage).inc()
    log.warning("dead-lettered", stage=stage, error=record.error, source_id=source_id, topic=topic)
    return record


def dead_letter(
    *, bus: Bus, topics: Topics, clock: Clock, stage: str, record: Record, error: str
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
    )
