"""The scorer's consumer: by-brand records handed out first, no fetch held for long."""

from __future__ import annotations

from faust.types import TP

from smileback.scorer.app import create_app
from smileback.scorer.commits import LedgerConsumer
from smileback.scorer.fetching import FETCH_MAX_WAIT_MS, DownstreamFirstThread, downstream_first
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.provision import by_brand_topic
from smileback.scorer.settings import ScorerSettings
from tests.scorer.doubles import CountingScorer

RAW0, RAW1, BRAND0, BRAND2 = TP("raw", 0), TP("raw", 1), TP("brand", 0), TP("brand", 2)


def test_the_downstream_partitions_come_first_each_group_in_its_order():
    buffered = {RAW1: "r1", BRAND2: "b2", RAW0: "r0", BRAND0: "b0"}
    ordered = downstream_first(buffered, downstream="brand")
    assert list(ordered) == [BRAND2, BRAND0, RAW1, RAW0]
    assert ordered == buffered  # nothing lost or changed, only the order


def test_without_downstream_records_the_order_stays():
    buffered = {RAW1: "r1", RAW0: "r0"}
    assert list(downstream_first(buffered, downstream="brand")) == [RAW1, RAW0]


async def test_the_scorer_consumer_puts_its_by_brand_topic_first_and_does_not_hold_fetches():
    settings = ScorerSettings(scorer_app_id="fetch-test", kafka_bootstrap="127.0.0.1:1")
    app = create_app(settings=settings, pipeline=ScoringPipeline(scorer=CountingScorer()))
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    thread = consumer._thread
    assert isinstance(thread, DownstreamFirstThread)
    assert thread.downstream == by_brand_topic("fetch-test")
    aiokafka_consumer = thread._create_worker_consumer(app.transport)
    assert aiokafka_consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS
    # One batch a call, so by-brand records never wait behind more than a batch.
    assert aiokafka_consumer._max_poll_records == settings.scorer_batch_size
    await aiokafka_consumer.stop()
