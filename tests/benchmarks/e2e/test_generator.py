"""The benchmark's mention generator: deterministic, valid, and shaped as its docstring says."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, datetime

import pytest

from benchmarks.e2e.generator import (
    BRANDS,
    MAX_FOLLOWERS,
    MIN_FOLLOWERS,
    Generated,
    Kind,
    brand_terms,
    followers,
    generate,
    large_complaint,
)
from smileback.common.events import Mention, decode, incident_id_for
from smileback.ingest.rules import BrandMatcher
from smileback.scorer.factory import shipped_scorer

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _sample(total: int = 20_000, seed: int = 5) -> list[Generated]:
    return list(generate(total=total, seed=seed, start=START))


def test_the_same_seed_gives_the_same_lines_and_another_seed_others() -> None:
    first = [g.line for g in generate(total=500, seed=3, start=START)]
    again = [g.line for g in generate(total=500, seed=3, start=START)]
    other = [g.line for g in generate(total=500, seed=4, start=START)]
    assert first == again
    assert first != other


def test_every_line_is_a_valid_mention_with_its_id_and_thread() -> None:
    for g in generate(total=2000, seed=1, start=START, prefix="run7"):
        mention = decode(Mention, g.line)
        assert mention.id == g.id
        assert g.id.startswith("run7:")
        assert (mention.thread.root_id or mention.id) == g.root_id
        assert mention.created_at is not None
        assert mention.created_at >= START


def test_kinds_mix_and_about_five_percent_name_no_brand() -> None:
    sample = _sample()
    kinds = Counter(g.kind for g in sample)
    assert set(kinds) == set(Kind)
    assert 0.035 < kinds[Kind.UNBRANDED] / len(sample) < 0.065
    assert all((g.brand is None) == (g.kind is Kind.UNBRANDED) for g in sample)


def test_brand_terms_match_exactly_the_branded_mentions() -> None:
    matcher = BrandMatcher.from_terms(brand_terms())
    for g in _sample(total=3000):
        matched = matcher.match(mention=decode(Mention, g.line))
        assert matched == g.brand, g.line


def test_one_brand_is_busier_than_the_others() -> None:
    brands = Counter(g.brand for g in _sample() if g.brand)
    assert brands.most_common(1)[0][0] == BRANDS[0].key
    assert brands[BRANDS[0].key] > 0.5 * sum(brands.values())


def test_threads_have_hot_roots_with_many_replies_and_cold_ones_with_few() -> None:
    sample = _sample()
    sizes = Counter(g.root_id for g in sample if g.brand)
    assert max(sizes.values()) >= 50  # a hot root
    assert statistics.median(sizes.values()) == 1  # most roots stay cold
    replies = sum(1 for g in sample if g.root_id != g.id)
    assert 0.2 < replies / len(sample) < 0.5


def test_replies_stay_with_their_roots_brand() -> None:
    sample = _sample()
    brand_of = {g.id: g.brand for g in sample}
    assert all(brand_of[g.root_id] == g.brand for g in sample if g.root_id != g.id)


def test_followers_are_log_skewed_between_ten_and_two_million() -> None:
    rng = random.Random(11)
    counts = [followers(rng) for _ in range(50_000)]
    assert min(counts) >= MIN_FOLLOWERS
    assert max(counts) == MAX_FOLLOWERS
    assert 20 < statistics.median(counts) < 80
    large = sum(c >= 100_000 for c in counts) / len(counts)
    assert 0.005 < large < 0.02
    # Every decade from 10 to 1M is populated.
    decades = Counter(len(str(c)) for c in counts)
    assert all(decades[d] > 0 for d in range(2, 8))


def test_a_large_complaint_opens_its_own_incident_from_a_large_verified_author() -> None:
    probe = large_complaint(brand=BRANDS[1], number=3, at=START)
    mention = decode(Mention, probe.line)
    assert mention.id == probe.id
    assert mention.author.verified
    assert mention.author.followers >= 250_000
    assert BRANDS[1].handle in mention.text
    assert probe.incident_id == incident_id_for(brand=BRANDS[1].key, thread_root_id=probe.id)
    assert large_complaint(brand=BRANDS[1], number=3, at=START) == probe


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next(generate(total=1, seed=1, start=START.replace(tzinfo=None)))


def test_the_shipped_model_reads_complaints_as_negative_and_chatter_and_questions_not() -> None:
    sample = _sample(total=4000)
    scores = shipped_scorer().score_texts([decode(Mention, g.line).text for g in sample])
    negative: dict[Kind, list[bool]] = {}
    for g, score in zip(sample, scores, strict=True):
        negative.setdefault(g.kind, []).append(score.is_negative)
    assert all(negative[Kind.COMPLAINT])
    assert not any(negative[Kind.NEUTRAL] + negative[Kind.QUESTION])
    assert sum(negative[Kind.PRAISE]) / len(negative[Kind.PRAISE]) < 0.15


def test_a_probe_reads_as_a_confident_complaint() -> None:
    probe = large_complaint(brand=BRANDS[2], number=0, at=START)
    (score,) = shipped_scorer().score_texts([decode(Mention, probe.line).text])
    assert score.is_negative
    assert score.negativity > 0.9
