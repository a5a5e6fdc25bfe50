"""DLQ records are counted by stage and a short reason code read from the decoders' errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from smileback.common.bus import InMemoryBus, Record
from smileback.common.dlq import dead_letter, dlq_reason, send_to_dlq
from smileback.common.errors import SchemaError
from smileback.common.events import DlqRecord, Mention, decode
from smileback.common.topics import Topics
from tests.support.clock import FakeClock

TOPICS = Topics()
T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def _error(raw: bytes) -> str:
    with pytest.raises(SchemaError) as refused:
        decode(Mention, raw)
    return str(refused.value)


def _count(stage: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value("smileback_dlq_records_total", {"stage": stage, "reason": reason})
        or 0.0
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "malformed_json"),
        (b'{"id": "x", "text": ', "malformed_json"),
        (b'{"id": "x", "text": "\xff"}', "invalid_utf8"),
        (b'{"id": "x", "text": "' + b"a" * 10_001 + b'"}', "oversized"),
        (b'{"id": 1}', "schema"),
        (b"[]", "schema"),
    ],
)
def test_a_decoders_error_has_its_reason_code(raw: bytes, reason: str) -> None:
    assert dlq_reason(_error(raw)) == reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("status: invalid JSON: Expecting value: line 1 column 1 (char 0)", "malformed_json"),
        ("malformed JSON: Expecting ',' delimiter", "malformed_json"),
        ("update: event larger than the parser's limit", "oversized"),
        ("delete: invalid UTF-8 at byte 3", "invalid_utf8"),
        ("status.account: expected a JSON object, got a list", "schema"),
    ],
)
def test_the_ingest_sources_errors_have_their_reason_codes(error: str, reason: str) -> None:
    assert dlq_reason(error) == reason


def test_a_dead_letter_counts_under_its_stage_and_reason_and_keeps_the_whole_error() -> None:
    bus, clock = InMemoryBus(), FakeClock(T0)
    error = _error(b'{"id": "x", "text": "\xff"}')
    before = _count("test-dlq-stage", "invalid_utf8")
    record = Record(TOPICS.raw, 0, 7, b"root", b'{"id": "x", "text": "\xff"}')
    dead_letter(
        bus=bus, topics=TOPICS, clock=clock, stage="test-dlq-stage", record=record, error=error
    )
    assert _count("test-dlq-stage", "invalid_utf8") == before + 1
    (published,) = bus.records(TOPICS.dlq)
    assert decode(DlqRecord, published.value).error == error  # the text stays in the record


def test_a_reason_the_caller_names_wins_over_the_error_text() -> None:
    bus, clock = InMemoryBus(), FakeClock(T0)
    before = _count("test-dlq-named", "processing")
    send_to_dlq(
        bus=bus,
        topics=TOPICS,
        clock=clock,
        stage="test-dlq-named",
        error="scoring failed: ValueError: invalid JSON in the model's vocabulary",
        raw=b"{}",
        reason="processing",
    )
    assert _count("test-dlq-named", "processing") == before + 1
    assert _count("test-dlq-named", "malformed_json") == 0.0
