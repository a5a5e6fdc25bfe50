"""The projector: good records stored in one transaction, bad ones to the DLQ, DB errors retried."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import smileback.api.projector as projector_module
from smileback.api.projector import STAGE, Retry, make_handler
from smileback.api.store import IncidentRow, MentionRow, QueueItemRow, create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.events import DlqRecord, IncidentEventType, ScoredMention, decode, encode
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.support.builders import T0, incident_event, queue_item, scored

TOPICS = Topics()


def _clock() -> datetime:
    return T0


def _no_wait(_seconds: float) -> bool:
    return False


def _bus() -> InMemoryBus:
    return InMemoryBus(TOPICS.all())


def _drain(*, engine: Engine, bus: InMemoryBus, group: str = "projector") -> int:
    consumer = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group=group)
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=_clock)
    return pump(consumer=consumer, bus=bus, handler=handler)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _dead_lettered(reason: str) -> float:
    labels = {"stage": STAGE, "reason": reason}
    return REGISTRY.get_sample_value("smileback_dlq_records_total", labels) or 0.0


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
    "integer past 64 bits as 1e+20": _valid_mention_json(author={"handle": "h", "followers": 1e20}),
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


_MAX_INT = 2**63 - 1


@given(
    number=st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False, allow_infinity=False).filter(float.is_integer),
    ),
    text=st.text(max_size=40),
)
def test_the_quick_check_never_passes_over_a_number_or_text_sql_cannot_hold(
    number: float, text: str
) -> None:
    raw = json.dumps({"text": text, "count": number}, separators=(",", ":")).encode()
    # A float with an integral value is an integer to pydantic's int fields.
    too_big = abs(int(number)) > _MAX_INT
    if too_big or "\x00" in text:
        assert projector_module._maybe_unstorable(raw)


def test_the_quick_check_lets_an_ordinary_mention_through() -> None:
    assert not projector_module._maybe_unstorable(encode(scored("m1")))


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
    handler = make_handler(
        engine=engine, bus=bus, topics=TOPICS, clock=_clock, retry=Retry(attempts=1), wait=_no_wait
    )
    with pytest.raises(OperationalError):
        pump(consumer=consumer, bus=bus, handler=handler)
    assert _dlq(bus) == []  # nothing is dead-lettered for a batch that did not land
    consumer.close()

    create_schema(engine)
    retry = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group="g")
    assert pump(consumer=retry, bus=bus, handler=handler) == 2  # not committed: read again
    assert _count(engine, MentionRow) == 1
    assert len(_dlq(bus)) == 1


def test_a_record_the_store_refuses_is_dead_lettered_and_the_rest_stored(engine: Engine) -> None:
    bus = _bus()
    for mention_id in ("m1", "m2", "m3"):
        bus.publish(TOPICS.scored, key=mention_id, value=encode(scored(mention_id)))
    with engine.begin() as connection:
        # A trigger refuses m2, as a constraint would refuse one record's data.
        connection.exec_driver_sql(
            "CREATE TRIGGER no_m2 BEFORE INSERT ON mentions WHEN NEW.id = 'm2' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    refused_before = _dead_lettered("processing")
    assert _drain(engine=engine, bus=bus) == 3
    assert _dead_lettered("processing") - refused_before == 1  # readable, but not storable
    with Session(engine) as session:
        assert sorted(session.scalars(select(MentionRow.id))) == ["m1", "m3"]
    dead = _dlq(bus)
    assert [(d.source_id, d.topic) for d in dead] == [("m2", TOPICS.scored)]
    assert "refused" in dead[0].error
    assert dead[0].raw == encode(scored("m2"))


def test_a_transient_error_mid_batch_rolls_back_and_is_retried(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = _bus()
    for mention_id in ("m1", "m2"):  # one key: one partition, in this order
        bus.publish(TOPICS.scored, key="thread", value=encode(scored(mention_id)))
    real = projector_module.upsert_mentions
    failures = [2]  # the batch fails twice, after m1 and m2 were written in its transaction
    seen_counts: list[int] = []

    def flaky(*, session: Session, mentions: list[ScoredMention], now: datetime) -> None:
        real(session=session, mentions=mentions, now=now)
        if failures[0]:
            failures[0] -= 1
            seen_counts.append(session.scalar(select(func.count()).select_from(MentionRow)) or 0)
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(projector_module, "upsert_mentions", flaky)
    waits: list[tuple[float, int]] = []

    def wait(seconds: float) -> bool:
        waits.append((seconds, _count(engine, MentionRow)))  # what is committed meanwhile
        return False

    consumer = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group="g")
    handler = make_handler(
        engine=engine,
        bus=bus,
        topics=TOPICS,
        clock=_clock,
        retry=Retry(attempts=3, base_s=0.5, cap_s=0.75, jitter=_all),
        wait=wait,
    )
    assert pump(consumer=consumer, bus=bus, handler=handler) == 2
    assert seen_counts == [2, 2]  # both were written in each failed transaction...
    assert waits == [(0.5, 0), (0.75, 0)]  # ...and rolled back with it
    assert _count(engine, MentionRow) == 2
    assert _dlq(bus) == []


def test_when_retries_run_out_the_error_propagates(engine: Engine) -> None:
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE mentions")  # every write now fails
    waits: list[float] = []
    handler = make_handler(
        engine=engine,
        bus=bus,
        topics=TOPICS,
        clock=_clock,
        retry=Retry(attempts=2, base_s=1.0, jitter=_all),
        wait=lambda s: waits.append(s) or False,
    )
    consumer = bus.consumer([TOPICS.scored], group="g")
    with pytest.raises(OperationalError):
        pump(consumer=consumer, bus=bus, handler=handler)
    assert waits == [1.0, 2.0]
    assert _dlq(bus) == []


def test_a_stop_during_a_retry_wait_ends_the_batch_uncommitted(engine: Engine) -> None:
    bus = _bus()
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE mentions")
    handler = make_handler(
        engine=engine, bus=bus, topics=TOPICS, clock=_clock, wait=lambda _s: True
    )
    consumer = bus.consumer([TOPICS.scored], group="g")
    with pytest.raises(OperationalError):
        pump(consumer=consumer, bus=bus, handler=handler)
    consumer.close()
    assert len(bus.consumer([TOPICS.scored], group="g").poll(max_records=10, timeout_s=0)) == 1


def test_retry_delays_double_up_to_the_cap() -> None:
    retry = Retry(attempts=6, base_s=0.5, cap_s=3.0, jitter=_all)
    assert [retry.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_retry_delays_are_jittered_down_to_half() -> None:
    retry = Retry(attempts=6, base_s=0.5, cap_s=3.0, jitter=lambda: 0.0)
    assert [retry.delay(n) for n in range(1, 5)] == [0.25, 0.5, 1.0, 1.5]


def _all() -> float:
    """The jitter that waits the whole delay."""
    return 1.0


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
