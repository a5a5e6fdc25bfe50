"""The scorer's consumer: no fetch held long, a batch's worth of records a poll."""

from __future__ import annotations

from smileback.scorer.app import create_app
from smileback.scorer.commits import LedgerConsumer
from smileback.scorer.fetching import FETCH_MAX_WAIT_MS, ShortFetchThread
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.settings import ScorerSettings
from tests.scorer.doubles import CountingScorer


async def test_the_scorer_consumer_has_fetches_held_briefly_and_polls_a_batch():
    settings = ScorerSettings(scorer_app_id="fetch-test", kafka_bootstrap="127.0.0.1:1")
    app = create_app(settings=settings, pipeline=ScoringPipeline(scorer=CountingScorer()))
    consumer = app.consumer
    assert isinstance(consumer, LedgerConsumer)
    thread = consumer._thread
    assert isinstance(thread, ShortFetchThread)
    aiokafka_consumer = thread._create_worker_consumer(app.transport)
    assert aiokafka_consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS < 1500  # Faust's own
    assert aiokafka_consumer._max_poll_records == settings.scorer_batch_size
    await aiokafka_consumer.stop()
