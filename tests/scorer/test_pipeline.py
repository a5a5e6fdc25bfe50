from datetime import timedelta

import pytest

from smileback.common.events import Mention, ReachTier, Sentiment
from smileback.scorer.factory import default_pipeline
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.threads import ThreadTracker
from tests.scorer.doubles import T0, CountingScorer, mention


@pytest.fixture
def scorer():
    return CountingScorer()


@pytest.fixture
def pipeline(scorer):
    return ScoringPipeline(scorer=scorer, tracker=ThreadTracker())


def test_a_batch_calls_the_text_scorer_once_with_every_live_text(pipeline, scorer):
    batch = [mention(f"m{i}", f"text {i}") for i in range(50)]
    out = pipeline.score_batch(mentions=batch, now=T0)
    assert len(scorer.calls) == 1
    assert scorer.calls[0] == [f"text {i}" for i in range(50)]
    assert [s.id for s in out] == [m.id for m in batch]


def test_scores_combine_text_reach_and_thread_state(pipeline):
    root = mention("root", "this is bad", followers=250_000)
    replies = [mention(f"r{i}", "bad bad", root="root", minutes=i * 0.1) for i in range(20)]
    out = pipeline.score_batch(mentions=[root, *replies], now=T0)
    first, last = out[0].scores, out[-1].scores
    assert first.is_negative
    assert first.negativity == 0.9
    assert first.sentiment is Sentiment.NEGATIVE
    assert first.reach_tier is ReachTier.MACRO
    assert first.est_impressions == 25_000
    assert first.model_version == "counting-double"
    assert first.explanation == ["bad"]
    assert first.thread_velocity == 0.0  # the root itself is not a reply
    assert last.thread_velocity == pytest.approx(2.0)  # 20 negative replies in 10 minutes
    assert last.pile_on_risk > 0.6  # large root, fast and hostile
    assert out[1].scores.pile_on_risk < last.pile_on_risk


def test_thread_state_carries_across_batches(pipeline):
    pipeline.score_batch(mentions=[mention("r1", "bad", root="root")], now=T0)
    (out,) = pipeline.score_batch(mentions=[mention("r2", "bad", root="root", minutes=1)], now=T0)
    assert out.scores.thread_velocity == pytest.approx(0.2)


def test_tombstones_pass_through_unscored_and_leave_thread_state_alone(pipeline, scorer):
    gone = mention("r1", "bad", root="root", deleted=True)
    out = pipeline.score_batch(mentions=[gone, mention("r2", "bad", root="root")], now=T0)
    assert out[0].deleted
    assert out[0].scores.negativity == 0.0
    assert not out[0].scores.is_negative
    assert out[0].scores.sentiment is Sentiment.NEUTRAL
    assert scorer.calls == [["bad"]]  # the tombstone's text was never scored
    assert out[1].scores.thread_velocity == pytest.approx(0.1)  # only r2 counts
    assert pipeline.tracker.events_held(root_id="root") == 1


def test_a_batch_of_only_tombstones_does_not_call_the_scorer(pipeline, scorer):
    out = pipeline.score_batch(mentions=[mention("x", deleted=True)], now=T0)
    assert len(out) == 1
    assert scorer.calls == []


def test_a_mention_without_created_at_is_placed_at_now(pipeline):
    pipeline.score_batch(mentions=[mention("r1", "bad", root="root")], now=T0)
    undated = Mention(id="r2", text="bad", thread={"root_id": "root"})
    (near,) = pipeline.score_batch(mentions=[undated], now=T0 + timedelta(minutes=1))
    undated3 = Mention(id="r3", text="bad", thread={"root_id": "root"})
    (far,) = pipeline.score_batch(mentions=[undated3], now=T0 + timedelta(hours=1))
    assert near.scores.thread_velocity == pytest.approx(0.2)
    assert far.scores.thread_velocity == pytest.approx(0.1)


def test_a_scorer_returning_the_wrong_number_of_scores_is_refused():
    class Short(CountingScorer):
        def score_texts(self, texts):
            return super().score_texts(texts)[:-1]

    pipeline = ScoringPipeline(scorer=Short(), tracker=ThreadTracker())
    with pytest.raises(ValueError, match="1 scores for 2 texts"):
        pipeline.score_batch(mentions=[mention("a"), mention("b")], now=T0)


def test_default_pipeline_scores_with_the_interim_scorer():
    out = default_pipeline().score_batch(
        mentions=[mention("a", "Acme, your support is awful and I hate it")], now=T0
    )
    assert out[0].scores.model_version == "interim-vader-1"
    assert out[0].scores.is_negative
    assert "awful" in out[0].scores.explanation
