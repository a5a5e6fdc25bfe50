"""The projector: good records stored in one transaction, bad ones to the DLQ, DB errors retried."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from smileback.api.projector import STAGE, make_handler
from smileback.api.store import IncidentRow, MentionRow, QueueItemRow, create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.events import DlqRecord, IncidentEventType, decode, encode
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.api.builders import T0, incident_event, queue_item, scored

TOPICS = Topics()


def _clock() -> datetime:
    return T0


def _bus() -> InMemoryBus:
    return InMemoryBus(TOPICS.all())


def _drain(*, engine: Engine, bus: InMemoryBus, group: str = "projector") -> int:
    consumer = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group=group)
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=_clock)
    return pump(consumer=consumer, bus=bus, handler=handler)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _dlq(bus: InMemoryBus) -> list[DlqRecord]:
    return [decode(DlqRecord, r.value) for r in bus.records(TOPICS.dlq)]


def _valid_mention_json(**changes: object) -> bytes:
    data = json.loads(encode(scored("bad")))
    data.update(changes)
    return json.dumps(data).encode()


BAD_SCORED = {
    "malformed json": b'{"id": "x", "text": ',
    "invalid utf-8": b'{"id": "x", "text": "\xff\xfe"}',
    "wrong type": _valid_mention_json(text=42),
    "unknown field": _valid_mention_json(surprise=True),
    "oversized text": _valid_mention_json(text="a" * 10_001),
    "missing scores": b'{"id": "x", "text": "hi"}',
    "nul character": _valid_mention_json(text="nul \u0000 inside"),
    "integer past 64 bits": _valid_mention_json(author={"handle": "h", "followers": 2**64}),
}


def test_good_records_are_stored_and_bad_ones_dead_lettered(engine: Engine) -> None:
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    for name, raw in BAD_SCORED.items():
        bus.publish(TOPICS.scored, key=name, value=raw)
    bus.publish(
        TOPICS.incidents, key="inc_1", value=encode(incident_event(IncidentEventType.OPENED))
    )
    bus.publish(TOPICS.incidents, key="inc_1", value=b"[]")
    bus.publish(TOPICS.queues, key="m2", value=encode(queue_item("m2")))
    bus.publish(TOPICS.queues, key="m2", value=encode(scored("m2")))  # a mention on the wrong topic
    bus.publish(TOPICS.scored, key="m3", value=encode(scored("m3")))

    assert _drain(engine=engine, bus=bus) == len(BAD_SCORED) + 6
    assert _count(engine, MentionRow) == 2
    assert _count(engine, IncidentRow) == 1
    assert _count(engine, QueueItemRow) == 1
    dead = _dlq(bus)
    assert len(dead) == len(BAD_SCORED) + 2
    assert {d.stage for d in dead} == {STAGE}
    by_source = {d.source_id: d for d in dead}
    for name, raw in BAD_SCORED.items():
        assert by_source[name].raw == raw
        assert by_source[name].topic == TOPICS.scored
        assert by_source[name].error
    assert "NUL" in by_source["nul character"].error
    assert "64-bit" in by_source["integer past 64 bits"].error
    assert "UTF-8" in by_source["invalid utf-8"].error


def test_a_redelivered_batch_is_stored_once(engine: Engine) -> None:
    bus = _bus()
    for i in range(5):
        bus.publish(TOPICS.scored, key=f"m{i}", value=encode(scored(f"m{i}")))
    _drain(engine=engine, bus=bus, group="first")
    _drain(engine=engine, bus=bus, group="second")  # a new group re-reads everything
    assert _count(engine, MentionRow) == 5


def test_a_database_error_propagates_and_the_batch_is_read_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")  # no schema yet: writes fail
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    bus.publish(TOPICS.scored, key="bad", value=b"not json")
    consumer = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group="g")
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=_clock)
    with pytest.raises(OperationalError):
        pump(consumer=consumer, bus=bus, handler=handler)
    assert _dlq(bus) == []  # nothing is dead-lettered for a batch that did not land
    consumer.close()

    create_schema(engine)
    retry = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group="g")
    assert pump(consumer=retry, bus=bus, handler=handler) == 2  # not committed: read again
    assert _count(engine, MentionRow) == 1
    assert len(_dlq(bus)) == 1


def test_a_batch_lands_in_one_transaction(engine: Engine) -> None:
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    bus.publish(TOPICS.scored, key="m2", value=encode(scored("m2")))
    with engine.begin() as connection:
        # A trigger makes the second insert fail, as a database error mid-batch would.
        connection.exec_driver_sql(
            "CREATE TRIGGER no_m2 BEFORE INSERT ON mentions WHEN NEW.id = 'm2' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(Exception, match="refused"):
        _drain(engine=engine, bus=bus)
    assert _count(engine, MentionRow) == 0


def test_the_projector_counts_what_it_did(engine: Engine) -> None:
    def sample(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "smileback_records_total", {"stage": STAGE, "outcome": outcome}
            )
            or 0.0
        )

    ok, dlq = sample("ok"), sample("dlq")
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    bus.publish(TOPICS.scored, key="x", value=b"{}")
    _drain(engine=engine, bus=bus)
    assert sample("ok") == ok + 1
    assert sample("dlq") == dlq + 1
    lag = REGISTRY.get_sample_value("smileback_api_projector_lag_seconds", {"topic": TOPICS.scored})
    assert lag == 0.0  # the test clock says "now" is the mention's own time (clamped at 0)
