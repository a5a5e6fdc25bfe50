from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from smileback.common.events import Mention, ReachTier, Sentiment, decode, encode
from smileback.scorer.baseline import BrandState
from smileback.scorer.factory import default_pipeline
from smileback.scorer.pipeline import (
    MAX_STAGED_PER_RECORD,
    MAX_STAGED_RECORD_BYTES,
    ScoringPipeline,
    Staged,
    StagedBatch,
    pack_staged,
)
from smileback.scorer.state import MemoryStore
from smileback.scorer.text_scoring import TextScore
from smileback.scorer.threads import ThreadState, ThreadTracker
from tests.scorer.doubles import CountingScorer
from tests.support.builders import T0, mention


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
    assert last.pile_on_risk > 0.5  # large root, fast and hostile (repliers without followers)
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
    assert len(pipeline.tracker.get("root").negatives) == 1


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


def test_default_pipeline_scores_with_the_shipped_model():
    out = default_pipeline().score_batch(
        mentions=[mention("a", "Acme, your support is awful and I hate it")], now=T0
    )
    assert out[0].scores.model_version.startswith("negativity-")
    assert out[0].scores.is_negative
    assert {"awful", "hate"} & set(out[0].scores.explanation)


def test_brand_baseline_and_author_counts_ride_on_every_scored_mention(pipeline):
    batch = [
        mention(f"m{i}", "bad", minutes=i, brand="acme", author={"id": "fan"}) for i in range(3)
    ]
    batch.append(mention("kind", "lovely", minutes=4, brand="acme", author={"id": "fan"}))
    batch.append(mention("other", "bad", minutes=5, brand="globex", author={"id": "fan"}))
    out = {s.id: s.scores for s in pipeline.score_batch(mentions=batch, now=T0)}
    assert [out[f"m{i}"].brand_negative_now for i in range(3)] == [1, 2, 3]
    assert out["kind"].brand_negative_now == 3
    assert out["kind"].brand_negative_baseline == 0.0  # no history yet
    assert out["kind"].author_mentions == 4
    assert out["other"].brand_negative_now == 1  # brands are counted apart ...
    assert out["other"].author_mentions == 1  # ... and so are an author's mentions of each


def test_a_mention_without_brand_has_no_baseline_or_author_figures(pipeline):
    (out,) = pipeline.score_batch(mentions=[mention("m", "bad", author={"id": "fan"})], now=T0)
    assert out.brand is None
    assert (out.scores.brand_negative_now, out.scores.author_mentions) == (0, 0)
    assert out.scores.brand_negative_baseline == 0.0
    assert "brand_surge_ratio" not in out.scores.model_dump()
    assert len(pipeline.brands) == len(pipeline.authors) == 0


def _duplicates():
    return REGISTRY.get_sample_value("smileback_scorer_duplicates_total") or 0.0


def test_a_repeated_mention_is_scored_again_but_counted_nowhere_twice(pipeline):
    reply = mention("r1", "bad", root="root", brand="acme", author={"id": "fan"})
    before = _duplicates()
    first, again = pipeline.score_batch(mentions=[reply, reply], now=T0)
    assert again.id == first.id
    assert again.scores == first.scores
    assert _duplicates() - before == 1
    assert len(pipeline.tracker.get("root").negatives) == 1


def test_the_two_steps_use_the_stores_they_are_given(pipeline):
    threads: MemoryStore[ThreadState] = MemoryStore()
    brands: MemoryStore[BrandState] = MemoryStore()
    text = TextScore(0.9, True, Sentiment.NEGATIVE)
    staged = pipeline.thread_step(
        mention=mention("r1", "bad", root="root", brand="acme"),
        text=text,
        now=T0,
        threads_store=threads,
    )
    assert threads.get("root") is not None
    assert pipeline.tracker.get("root") is None
    # The staged record crosses the by-brand topic as JSON.
    crossed = decode(Staged, encode(staged))
    assert crossed == staged
    scored = pipeline.brand_step(staged=crossed, brands_store=brands, authors_store=MemoryStore())
    assert scored.scores.brand_negative_now == 1
    assert brands.get("acme") is not None
    assert len(pipeline.brands) == 0


def test_a_staged_duplicate_reads_the_brand_and_author_state_without_counting(pipeline):
    text = TextScore(0.9, True, Sentiment.NEGATIVE)
    reply = mention("r1", "bad", root="root", brand="acme", author={"id": "fan"})
    staged = pipeline.thread_step(mention=reply, text=text, now=T0)
    pipeline.brand_step(staged=staged)
    again = staged.model_copy(update={"duplicate": True})
    scored = pipeline.brand_step(staged=again)
    assert (scored.scores.brand_negative_now, scored.scores.author_mentions) == (1, 1)
    late = pipeline.thread_step(mention=reply, text=text, now=T0)
    assert late.duplicate


def test_the_time_placed_is_carried_to_the_brand_step(pipeline):
    text = TextScore(0.9, True, Sentiment.NEGATIVE)
    undated = Mention(id="u", text="bad", brand="acme")
    staged = pipeline.thread_step(mention=undated, text=text, now=T0 + timedelta(hours=3))
    assert staged.at == T0 + timedelta(hours=3)


def _staged(pipeline, n, text="bad"):
    return pipeline.thread_step(
        mention=mention(f"m{n}", text, root="root", brand="acme"),
        text=TextScore(0.9, True, Sentiment.NEGATIVE),
        now=T0,
        threads_store=MemoryStore(),
    )


def test_staged_mentions_are_packed_in_order_into_records_under_the_size_bound(pipeline):
    staged = [_staged(pipeline, n, text="x" * 9_000) for n in range(100)]
    records = pack_staged([encode(s) for s in staged])
    assert len(records) > 1  # about 1 MB of mentions does not fit one record
    assert all(len(r) <= MAX_STAGED_RECORD_BYTES for r in records)
    unpacked = [s for r in records for s in decode(StagedBatch, r).staged]
    assert unpacked == staged


def test_a_staged_mention_larger_than_the_bound_gets_a_record_of_its_own(pipeline):
    part = encode(_staged(pipeline, 1))
    huge = part * (MAX_STAGED_RECORD_BYTES // len(part) + 1)  # bytes only: size is what counts
    records = pack_staged([encode(_staged(pipeline, 0)), huge, encode(_staged(pipeline, 2))])
    assert len(records) == 3
    assert records[1] == b'{"staged":[' + huge + b"]}"
    assert pack_staged([]) == []


def test_a_record_holds_at_most_a_bounded_number_of_staged_mentions(pipeline):
    parts = [encode(_staged(pipeline, n)) for n in range(2 * MAX_STAGED_PER_RECORD + 1)]
    records = pack_staged(parts)
    sizes = [len(decode(StagedBatch, r).staged) for r in records]
    assert sizes == [MAX_STAGED_PER_RECORD, MAX_STAGED_PER_RECORD, 1]
