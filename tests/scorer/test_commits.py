"""Commit points: Faust's ack bookkeeping stalls on a hole for good; the ledger commits only
what was processed and names the hole to re-read. The lag and readiness read from it, and
promtool reads the worker's /metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping

import faust
from faust.types import TP
from prometheus_client import REGISTRY

from smileback.common.bus import InMemoryBus, Record
from smileback.common.events import encode
from smileback.common.health import Health
from smileback.common.topics import Topics
from smileback.scorer.app import create_app
from smileback.scorer.commits import LedgerConsumer, ledger_of, seek_back, stream_lag
from smileback.scorer.handler import make_handler
from smileback.scorer.offsets import OffsetLedger
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.settings import ScorerSettings
from tests.scorer.doubles import CountingScorer, timers_of
from tests.support.builders import T0, mention
from tests.support.clock import Ticks
from tests.support.promtool import promtool_problems, scrape_worker

P0 = TP("raw", 0)


def _scorer(
    *, app_id: str | None = None, health: Health | None = None
) -> tuple[faust.App, LedgerConsumer]:
    """A scorer app with a counting model, and its ledger consumer."""
    app = create_app(
        settings=ScorerSettings(scorer_app_id=app_id),
        pipeline=ScoringPipeline(scorer=CountingScorer()),
        health=health,
    )
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    return app, consumer


def _ledger() -> OffsetLedger:
    ledger = OffsetLedger(retry_s=2.0, max_retry_s=8.0)
    ledger.rebase({P0: 403, TP("raw", 1): None})
    return ledger


def test_faust_never_commits_past_a_hole_that_is_not_acked():
    # What the stalled partition looked like: committed 403, the records at 403 and 404
    # never acked (dropped around a rebalance), everything after processed and acked.
    consumer = faust.App("stall", broker="kafka://localhost:1").consumer
    consumer._committed_offset[P0] = 403
    consumer._acked[P0].extend(range(405, 1000))
    assert consumer._new_offset(P0) is None
    consumer._acked[P0].extend(range(1000, 44_000))
    assert consumer._new_offset(P0) is None  # and it stays there however far the stream goes


def test_the_commit_point_is_the_first_unprocessed_offset():
    ledger = _ledger()
    ledger.processed(P0, [403, 404, 405], now=0.0)
    assert ledger.commit_point(P0) == 406
    ledger.processed(P0, [408, 409], now=1.0)  # 406 and 407 never came
    assert ledger.commit_point(P0) == 406
    assert ledger.holes() == {P0: (406, 408)}
    ledger.processed(P0, [406, 407, 408, 409, 410], now=2.0)  # re-read: all of them again
    assert ledger.commit_point(P0) == 411
    assert ledger.holes() == {}


def test_a_partition_without_a_committed_offset_starts_at_its_first_record():
    ledger = _ledger()
    p1 = TP("raw", 1)
    assert ledger.commit_point(p1) is None
    ledger.processed(p1, [0, 1], now=0.0)
    assert ledger.commit_point(p1) == 2


def test_records_of_partitions_not_owned_or_below_the_commit_point_change_nothing():
    ledger = _ledger()
    ledger.processed(TP("raw", 3), [0, 1], now=0.0)
    ledger.processed(P0, [10, 400, 402], now=0.0)
    assert ledger.commit_point(TP("raw", 3)) is None
    assert ledger.commit_point(P0) == 403
    assert ledger.holes() == {}


def test_a_hole_is_re_read_when_due_then_at_growing_intervals():
    ledger = _ledger()
    ledger.processed(P0, [405], now=10.0)
    assert ledger.seek_backs(now=11.9) == {}
    assert ledger.seek_backs(now=12.0) == {P0: 403}
    assert ledger.seek_backs(now=15.9) == {}  # next after 4 s
    assert ledger.seek_backs(now=16.0) == {P0: 403}
    ledger.processed(P0, [403, 404], now=17.0)
    assert ledger.commit_point(P0) == 406
    assert ledger.seek_backs(now=100.0) == {}


def test_a_hole_deleted_by_retention_is_skipped():
    ledger = _ledger()
    ledger.processed(P0, [500, 501], now=0.0)
    ledger.skip_to(P0, 500, now=1.0)
    assert ledger.commit_point(P0) == 502
    assert ledger.holes() == {}


def test_a_rebalance_rebases_on_the_committed_offsets():
    ledger = _ledger()
    ledger.processed(P0, [403, 405], now=0.0)
    ledger.rebase({P0: 600})
    assert ledger.owned() == {P0}
    assert ledger.commit_point(P0) == 600
    assert ledger.holes() == {}


def test_the_scorer_commits_from_its_ledger():
    app, consumer = _scorer()
    ledger = ledger_of(app)
    assert ledger is consumer.ledger
    ledger.rebase({P0: 403})
    consumer._committed_offset[P0] = 403
    # Faust's acks say 403..999 (one record was acked unprocessed); the ledger knows 404 is not.
    consumer._acked[P0].extend(range(403, 1000))
    ledger.processed(P0, [403, *range(405, 1000)], now=0.0)
    assert list(consumer._filter_tps_with_pending_acks()) == [P0]
    assert consumer._filter_committable_offsets([P0]) == {P0: 404}
    assert not consumer._acked.get(P0)  # Faust's lists do not grow unread
    ledger.processed(P0, [404], now=1.0)
    assert consumer._filter_committable_offsets([P0]) == {P0: 1000}


async def test_a_re_read_hole_passes_fausts_read_offset_filter():
    """Faust hands on a fetched record only if its offset is at or above the partition's
    read offset; after a seek back to a hole that offset must be the hole's, or the records
    of the hole are fetched and dropped again at every retry."""
    app, consumer = _scorer()
    consumer.ledger.rebase({P0: 403})
    consumer.ledger.processed(P0, [405, 406], now=time.monotonic() - 60)  # 403, 404 never came
    consumer._read_offset[P0] = 406  # the last record Faust handed on
    sought: list[Mapping[TP, int]] = []

    async def earliest(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, 0)

    async def seek_wait(partitions: Mapping[TP, int]) -> None:
        sought.append(dict(partitions))

    consumer.earliest_offsets = earliest  # type: ignore[method-assign]
    consumer.seek_wait = seek_wait  # type: ignore[method-assign]
    assert await seek_back(app) == {P0: 403}
    assert sought == [{P0: 403}]
    assert consumer._read_offset[P0] == 403  # so 403 and 404 are handed on when fetched again


def test_the_lag_runs_from_each_owned_partitions_commit_point_to_its_highwater(monkeypatch):
    app, consumer = _scorer()
    p1, p2 = TP("raw", 1), TP("raw", 2)
    consumer.ledger.rebase({P0: 403, p1: None, p2: 7})
    consumer.ledger.processed(P0, [403, 404], now=0.0)
    # aiokafka knows no highwater of a partition it has not fetched from yet.
    highwaters = {P0: 410, p1: 12}
    monkeypatch.setattr(consumer, "highwater", highwaters.get)
    # p1 has no commit point yet (nothing committed, nothing processed); p2 no fetch yet.
    assert stream_lag(app) == {("raw", 0): 5}
    consumer.ledger.processed(p1, [0, 1, 2], now=0.0)
    assert stream_lag(app) == {("raw", 0): 5, ("raw", 1): 9}
    app.rebalancing = True
    assert stream_lag(app) is None  # the ledger is about to be rebased: no reading now


async def test_the_worker_is_ready_while_it_owns_partitions_and_its_loop_reads_their_lag(
    monkeypatch,
):
    ticks = Ticks()
    health = Health(needs=[], monotonic=ticks)
    app, consumer = _scorer(app_id="test-ready", health=health)
    assert health.readiness().detail == {"consumer": "not polling yet"}
    report_lag = timers_of(app)["report_lag"]
    await report_lag()  # before the first assignment
    assert health.readiness().detail == {"consumer": "no partitions assigned"}
    consumer.ledger.rebase({P0: 3})
    monkeypatch.setattr(consumer, "highwater", {P0: 10}.get)
    await report_lag()
    assert health.readiness().ok
    labels = {"group": "test-ready", "topic": "raw", "partition": "0"}
    assert REGISTRY.get_sample_value("smileback_consumer_lag_records", labels) == 7
    await app.on_partitions_revoked.send(set())
    assert not health.readiness().ok
    assert REGISTRY.get_sample_value("smileback_consumer_lag_records", labels) is None


async def test_promtool_finds_no_problem_in_the_scorers_metrics(monkeypatch):
    health = Health(needs=[])
    app, consumer = _scorer(app_id="test-promtool", health=health)
    consumer.ledger.rebase({P0: 0})
    monkeypatch.setattr(consumer, "highwater", {P0: 2}.get)
    await timers_of(app)["report_lag"]()
    bus = InMemoryBus()
    handler = make_handler(
        bus=bus,
        topics=Topics(),
        pipeline=ScoringPipeline(scorer=CountingScorer()),
        clock=lambda: T0,
    )
    handler(
        [Record("raw", 0, 0, b"r", encode(mention("m1", "bad"))), Record("raw", 0, 1, b"r", b"{")]
    )
    body = scrape_worker(health)
    for name in ("smileback_model_scoring_seconds", "smileback_consumer_lag_records"):
        assert f"# TYPE {name}" in body
    assert promtool_problems(body) == []


async def test_a_lag_reading_that_fails_leaves_the_timer_and_the_last_values(monkeypatch):
    health = Health(needs=[])
    app, consumer = _scorer(app_id="test-lag-fails", health=health)
    consumer.ledger.rebase({P0: 1})
    monkeypatch.setattr(consumer, "highwater", {P0: 4}.get)
    report_lag = timers_of(app)["report_lag"]
    await report_lag()

    def revoked(tp: TP) -> int:
        raise RuntimeError(f"{tp} is not assigned")  # as aiokafka says mid-rebalance

    monkeypatch.setattr(consumer, "highwater", revoked)
    await report_lag()
    labels = {"group": "test-lag-fails", "topic": "raw", "partition": "0"}
    assert REGISTRY.get_sample_value("smileback_consumer_lag_records", labels) == 3
    assert health.readiness().ok
