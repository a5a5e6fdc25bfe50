"""The brand step first: behind a raw backlog a worker holds its raw records back while its
brand step has PAUSE_BATCHES batches' worth waiting, and hands them out again below one;
what waits is read from the fetched ends and from the worker's own writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from faust.types import TP, RecordMetadata

from smileback.scorer.app import create_app
from smileback.scorer.commits import LedgerConsumer
from smileback.scorer.flow import BACKLOG_BATCHES, PAUSE_BATCHES, BrandFirst
from smileback.scorer.offsets import SentEnds
from smileback.scorer.pipeline import MAX_STAGED_PER_RECORD, ScoringPipeline
from smileback.scorer.provision import by_brand_topic
from smileback.scorer.settings import ScorerSettings
from tests.scorer.doubles import CountingScorer, timers_of

RAW = "smileback.mentions.raw"


def test_behind_a_backlog_raw_records_pause_at_the_high_mark_and_resume_below_the_low_one():
    gate = BrandFirst(pause_at=10, resume_at=5)
    waiting = (0, 9, 10, 7, 5, 4, 9, 12)
    assert [gate.update(w, backlog=True) for w in waiting] == [
        False,
        False,
        True,  # the high mark's worth waiting
        True,  # still more than the low one
        True,
        False,  # less than one batch left
        False,
        True,
    ]


def test_without_a_raw_backlog_raw_records_are_never_held_back_but_a_pause_runs_out():
    gate = BrandFirst(pause_at=10, resume_at=5)
    assert gate.update(500, backlog=False) is False  # live traffic: the gate stays open
    assert gate.update(10, backlog=True) is True
    assert gate.update(7, backlog=False) is True  # the backlog is gone: drain to below 5
    assert gate.update(4, backlog=False) is False


@pytest.mark.parametrize(("pause_at", "resume_at"), [(5, 10), (5, 0)])
def test_marks_that_cannot_hold_are_refused(pause_at, resume_at):
    with pytest.raises(ValueError, match="resume_at"):
        BrandFirst(pause_at=pause_at, resume_at=resume_at)


async def test_the_worker_asks_for_no_raw_records_while_its_brand_step_is_behind(monkeypatch):
    settings = ScorerSettings(scorer_app_id="flow-test", scorer_batch_size=500)
    app = create_app(settings=settings, pipeline=ScoringPipeline(scorer=CountingScorer()))
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    brand_topic = by_brand_topic("flow-test")
    raw = {TP(RAW, p) for p in range(2)}
    brand = {TP(brand_topic, p) for p in range(2)}
    consumer.ledger.rebase({tp: 0 for tp in raw | brand})
    per_batch = 500 // MAX_STAGED_PER_RECORD  # by-brand records the brand step takes at once
    highwaters = {**dict.fromkeys(raw, 90_000), TP(brand_topic, 0): 0, TP(brand_topic, 1): 0}
    monkeypatch.setattr(consumer, "highwater", highwaters.get)
    asked: list[set[TP] | None] = []

    async def fetch(active: set[TP] | None, timeout: float) -> dict[TP, list[object]]:
        asked.append(None if active is None else set(active))
        return {}

    monkeypatch.setattr(consumer._thread, "getmany", fetch)
    steer = timers_of(app)["brand_first"]
    active = raw | brand  # what Faust hands the poll: every assigned partition

    async def poll() -> set[TP] | None:
        asked.clear()
        await consumer._getmany(active, 0.01)
        return asked[0] if asked else None

    await steer()
    assert await poll() == raw | brand  # a raw backlog alone holds nothing back
    # The backlog mark's worth waiting over both by-brand partitions: raw held back.
    half = PAUSE_BATCHES * per_batch // 2
    highwaters.update({TP(brand_topic, 0): half, TP(brand_topic, 1): half})
    await steer()
    assert await poll() == brand
    assert active == raw | brand  # Faust's own set untouched: nothing fetched gets dropped
    consumer.ledger.processed(TP(brand_topic, 0), range(half), now=0.0)
    consumer.ledger.processed(TP(brand_topic, 1), range(half - per_batch), now=0.0)
    await steer()
    assert await poll() == brand  # one batch's worth left: still held back
    # A worker that owns no by-brand partition has nothing to poll while raw is held back:
    # it must not ask for everything (an empty set means every partition to aiokafka).
    active = set(raw)
    assert await poll() is None
    active = raw | brand
    consumer.ledger.processed(TP(brand_topic, 1), [half - per_batch], now=0.0)  # less left
    await steer()
    assert await poll() == raw | brand


def _written(topic: str, partition: int, offset: int) -> asyncio.Future[object]:
    """A send the broker acknowledged, as Faust's producer hands it back."""
    sent: asyncio.Future[object] = asyncio.get_event_loop().create_future()
    sent.set_result(RecordMetadata(topic, partition, TP(topic, partition), offset))
    return sent


async def test_the_worker_s_own_writes_tell_where_a_partition_ends():
    ends = SentEnds()
    ends.note(_written("by-brand", 0, 41))
    ends.note(_written("by-brand", 0, 7))  # acknowledged late: the end does not go back
    ends.note(_written("by-brand", 1, 0))
    failed = asyncio.get_event_loop().create_future()
    failed.set_exception(RuntimeError("broker gone"))
    ends.note(failed)
    cancelled = asyncio.get_event_loop().create_future()
    cancelled.cancel()
    ends.note(cancelled)
    assert ends.ends == {TP("by-brand", 0): 42, TP("by-brand", 1): 1}


async def test_raw_is_held_back_on_the_worker_s_own_writes_while_the_fetched_end_is_stale(
    monkeypatch,
):
    # Behind a raw backlog aiokafka fetches no by-brand partition whose records are still
    # buffered, so its highwater stays where the last fetch saw it: only the writes tell.
    consumer, steer = _one_partition_each(monkeypatch, raw_end=90_000, brand_end=3)
    await steer()
    assert consumer.held_topics == frozenset()  # the fetch saw 3 records: nothing waits
    consumer.written.note(_written(BRAND.topic, 0, PAUSE_BATCHES * PER_BATCH - 1))
    await steer()
    assert consumer.held_topics == frozenset({RAW})


async def test_under_live_traffic_raw_is_never_held_back(monkeypatch):
    consumer, steer = _one_partition_each(
        monkeypatch, raw_end=BACKLOG_BATCHES * 500 - 1, brand_end=PAUSE_BATCHES * PER_BATCH
    )
    await steer()
    assert consumer.held_topics == frozenset()  # one raw record short of a backlog
    consumer.highwater = {TP(RAW, 0): BACKLOG_BATCHES * 500, BRAND: PAUSE_BATCHES * PER_BATCH}.get
    await steer()
    assert consumer.held_topics == frozenset({RAW})


BRAND = TP(by_brand_topic("flow-test"), 0)
PER_BATCH = 500 // MAX_STAGED_PER_RECORD  # by-brand records the brand step takes at once


def _one_partition_each(
    monkeypatch: pytest.MonkeyPatch, *, raw_end: int, brand_end: int
) -> tuple[LedgerConsumer, Callable[[], Awaitable[None]]]:
    """A worker owning one raw and one by-brand partition, both at offset 0, whose fetches
    saw them end at `raw_end` and `brand_end`; and its brand-first timer."""
    settings = ScorerSettings(scorer_app_id="flow-test", scorer_batch_size=500)
    app = create_app(settings=settings, pipeline=ScoringPipeline(scorer=CountingScorer()))
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    consumer.ledger.rebase({TP(RAW, 0): 0, BRAND: 0})
    monkeypatch.setattr(consumer, "highwater", {TP(RAW, 0): raw_end, BRAND: brand_end}.get)
    return consumer, timers_of(app)["brand_first"]
