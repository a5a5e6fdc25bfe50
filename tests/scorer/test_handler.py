import json

import pytest
from prometheus_client import REGISTRY

from smileback.common.bus import InMemoryBus
from smileback.common.errors import SchemaError
from smileback.common.events import (
    MAX_TEXT_CHARS,
    DlqRecord,
    ScoredMention,
    Sentiment,
    decode,
    encode,
)
from smileback.common.loop import pump
from smileback.common.topics import Topics
from smileback.scorer.handler import decode_staged, make_handler
from smileback.scorer.pipeline import ScoringPipeline, pack_staged
from smileback.scorer.text_scoring import TextScore
from smileback.scorer.threads import ThreadTracker
from tests.scorer.doubles import CountingScorer
from tests.support.builders import T0, mention

TOPICS = Topics()

BAD = {
    "malformed-json": (b'{"id": "x", "text": ', "Invalid JSON"),
    "invalid-utf8": (b'{"id": "x", "text": "caf\xe9"}', "invalid UTF-8"),
    "unknown-field": (b'{"id": "x", "text": "hi", "colour": "red"}', "colour: Extra inputs"),
    "oversized-text": (
        json.dumps({"id": "x", "text": "a" * (MAX_TEXT_CHARS + 1)}).encode(),
        "text: String should have at most 10000 characters",
    ),
    "wrong-types": (b'{"id": "x", "text": "hi", "author": {"followers": "many"}}', "followers"),
}
# The `reason` label each of them is counted under in smileback_dlq_records_total.
REASONS = {
    "malformed-json": "malformed_json",
    "invalid-utf8": "invalid_utf8",
    "unknown-field": "schema",
    "oversized-text": "oversized",
    "wrong-types": "schema",
}


@pytest.fixture
def bus():
    return InMemoryBus(TOPICS.all())


@pytest.fixture
def scorer():
    return CountingScorer()


def _run(bus, scorer):
    handler = make_handler(
        bus=bus,
        topics=TOPICS,
        pipeline=ScoringPipeline(scorer=scorer, tracker=ThreadTracker()),
        clock=lambda: T0,
    )
    consumer = bus.consumer([TOPICS.raw], group="scorer-test")
    return pump(consumer=consumer, bus=bus, handler=handler, max_records=1000)


def _dlq(reason):
    labels = {"stage": "scorer", "reason": reason}
    return REGISTRY.get_sample_value("smileback_dlq_records_total", labels) or 0.0


def _scoring_calls():
    return REGISTRY.get_sample_value("smileback_model_scoring_seconds_count") or 0.0


def _count(outcome):
    return (
        REGISTRY.get_sample_value(
            "smileback_records_total", {"stage": "scorer", "outcome": outcome}
        )
        or 0.0
    )


def test_good_records_are_scored_once_per_batch_and_keyed_by_thread_root(bus, scorer):
    mentions = [mention("root", "this is bad")]
    mentions += [mention(f"r{i}", "bad", root="root", minutes=i) for i in range(5)]
    mentions += [mention("solo", "hello")]
    for m in mentions:
        bus.publish(TOPICS.raw, key=m.root_id, value=encode(m))
    ok_before, calls_before = _count("ok"), _scoring_calls()
    sizes_before = REGISTRY.get_sample_value("smileback_batch_records_sum", {"stage": "scorer"})
    assert _run(bus, scorer) == 7
    assert len(scorer.calls) == 1
    assert _scoring_calls() - calls_before == 1
    sizes = REGISTRY.get_sample_value("smileback_batch_records_sum", {"stage": "scorer"})
    assert sizes - (sizes_before or 0.0) == 7
    assert REGISTRY.get_sample_value("smileback_last_batch_timestamp_seconds", {"stage": "scorer"})
    out = {(r.key, decode(ScoredMention, r.value).id) for r in bus.records(TOPICS.scored)}
    assert out == {(b"root", m.id) for m in mentions[:6]} | {(b"solo", "solo")}
    assert _count("ok") - ok_before == 7
    by_id = {decode(ScoredMention, r.value).id: r for r in bus.records(TOPICS.scored)}
    assert decode(ScoredMention, by_id["r4"].value).scores.thread_velocity == pytest.approx(0.5)
    assert len({r.partition for r in bus.records(TOPICS.scored) if r.key == b"root"}) == 1


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_record_goes_to_the_dlq_and_the_good_ones_are_still_scored(bus, scorer, case):
    raw, reason = BAD[case]
    bus.publish(TOPICS.raw, key="before", value=encode(mention("before", root=None)))
    bus.publish(TOPICS.raw, key=f"key-{case}", value=raw)
    bus.publish(TOPICS.raw, key="after", value=encode(mention("after")))
    dlq_before, by_reason_before = _count("dlq"), _dlq(REASONS[case])
    assert _run(bus, scorer) == 3
    assert _dlq(REASONS[case]) - by_reason_before == 1
    scored = sorted(decode(ScoredMention, r.value).id for r in bus.records(TOPICS.scored))
    assert scored == ["after", "before"]
    (dead,) = bus.records(TOPICS.dlq)
    record = decode(DlqRecord, dead.value)
    assert record.stage == "scorer"
    assert reason in record.error
    assert record.source_id == f"key-{case}" == dead.key.decode()
    assert record.topic == TOPICS.raw
    assert record.raw == raw
    assert record.at == T0
    assert _count("dlq") - dlq_before == 1


def test_a_record_without_key_or_value_is_dead_lettered_without_a_source_id(bus, scorer):
    bus.publish(TOPICS.raw, key=None, value=b"")
    assert _run(bus, scorer) == 1
    (dead,) = bus.records(TOPICS.dlq)
    assert decode(DlqRecord, dead.value).source_id is None
    assert bus.records(TOPICS.scored) == []


def test_tombstones_are_published_unscored(bus, scorer):
    gone = mention("r1", "bad", root="root", deleted=True)
    bus.publish(TOPICS.raw, key="root", value=encode(gone))
    _run(bus, scorer)
    (out,) = bus.records(TOPICS.scored)
    scored = decode(ScoredMention, out.value)
    assert scored.deleted
    assert not scored.scores.is_negative
    assert scored.scores.negativity == 0.0
    assert out.key == b"root"


class _Fragile(CountingScorer):
    """Fails on any batch holding a text with "boom" in it."""

    def score_texts(self, texts):
        if any("boom" in text for text in texts):
            raise RuntimeError("cannot score this")
        return super().score_texts(texts)


def test_a_record_the_scorer_fails_on_goes_to_the_dlq_and_the_rest_are_scored(bus):
    scorer = _Fragile()
    batch = [mention("a", "bad"), mention("b", "boom"), mention("c", "fine")]
    for m in batch:
        bus.publish(TOPICS.raw, key=m.root_id, value=encode(m))
    dlq_before, ok_before = _count("dlq"), _count("ok")
    processing_before, calls_before = _dlq("processing"), _scoring_calls()
    assert _run(bus, scorer) == 3
    assert sorted(decode(ScoredMention, r.value).id for r in bus.records(TOPICS.scored)) == [
        "a",
        "c",
    ]
    assert _dlq("processing") - processing_before == 1
    # The batch call that failed and each one-by-one call are model calls, timed each.
    assert _scoring_calls() - calls_before == 4
    (dead,) = bus.records(TOPICS.dlq)
    record = decode(DlqRecord, dead.value)
    assert record.stage == "scorer"
    assert record.error == "scoring failed: RuntimeError: cannot score this"
    assert record.raw == encode(batch[1])
    assert (_count("dlq") - dlq_before, _count("ok") - ok_before) == (1, 2)
    assert scorer.calls == [["bad"], ["fine"]]  # after the batch failed, one by one


def test_brand_and_author_state_carry_across_polled_batches(bus, scorer):
    handler = make_handler(
        bus=bus, topics=TOPICS, pipeline=ScoringPipeline(scorer=scorer), clock=lambda: T0
    )
    consumer = bus.consumer([TOPICS.raw], group="scorer-test")
    for i in range(3):
        m = mention(f"m{i}", "bad", minutes=i, brand="acme", author={"id": "fan"})
        bus.publish(TOPICS.raw, key=m.root_id, value=encode(m))
        pump(consumer=consumer, bus=bus, handler=handler)
    by_id = {s.id: s for s in (decode(ScoredMention, r.value) for r in bus.records(TOPICS.scored))}
    assert (by_id["m2"].scores.brand_negative_now, by_id["m2"].scores.author_mentions) == (3, 3)


def test_a_record_whose_state_step_fails_goes_to_the_dlq_and_the_stream_goes_on(bus, scorer):
    pipeline = ScoringPipeline(scorer=scorer)
    real = pipeline.finish

    def finish(*, mention, text, now):
        if mention.id == "x":
            raise ValueError("state exploded")
        return real(mention=mention, text=text, now=now)

    pipeline.finish = finish
    handler = make_handler(bus=bus, topics=TOPICS, pipeline=pipeline, clock=lambda: T0)
    for m in (mention("a"), mention("x"), mention("b")):
        bus.publish(TOPICS.raw, key=m.root_id, value=encode(m))
    pump(consumer=bus.consumer([TOPICS.raw], group="g"), bus=bus, handler=handler)
    assert sorted(decode(ScoredMention, r.value).id for r in bus.records(TOPICS.scored)) == [
        "a",
        "b",
    ]
    (dead,) = [decode(DlqRecord, r.value) for r in bus.records(TOPICS.dlq)]
    assert (dead.stage, dead.source_id) == ("scorer", "x")
    assert dead.error == "scoring failed: ValueError: state exploded"


def test_a_by_brand_record_is_read_as_a_batch_or_as_one_staged_mention():
    pipeline = ScoringPipeline(scorer=CountingScorer())
    staged = [
        pipeline.thread_step(
            mention=mention(f"m{n}", "bad", brand="acme"),
            text=TextScore(0.9, True, Sentiment.NEGATIVE),
            now=T0,
        )
        for n in range(3)
    ]
    (batch,) = pack_staged([encode(s) for s in staged])
    assert decode_staged(batch) == staged
    assert decode_staged(encode(staged[0])) == staged[:1]  # as an earlier scorer wrote it
    with pytest.raises(SchemaError, match="staged"):
        decode_staged(b'{"staged": [{"scored": 1}]}')  # the batch's own error is the one named
    with pytest.raises(SchemaError):
        decode_staged(b"{not json")
