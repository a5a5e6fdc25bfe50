"""The scoring core: a batch of mentions in, a batch of scored mentions out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from smileback.common.events import Mention, ScoredMention, Scores, Sentiment
from smileback.scorer.reach import est_impressions, reach, reach_tier
from smileback.scorer.text_scoring import TextScore, TextScorer
from smileback.scorer.threads import ThreadTracker, pile_on_risk

__all__ = ["ScoringPipeline"]


class ScoringPipeline:
    """Scores text once per batch, then adds reach and thread state mention by mention."""

    def __init__(self, *, scorer: TextScorer, tracker: ThreadTracker) -> None:
        self.scorer = scorer
        self.tracker = tracker

    def score_batch(self, *, mentions: Sequence[Mention], now: datetime) -> list[ScoredMention]:
        """Score `mentions` in order; `now` stands in for a missing `created_at`."""
        live = [m for m in mentions if not m.deleted]
        # One scorer call per batch (none when the batch holds only tombstones).
        scored = self.scorer.score_texts([m.text for m in live]) if live else []
        if len(scored) != len(live):
            raise ValueError(f"scorer returned {len(scored)} scores for {len(live)} texts")
        text_scores = iter(scored)
        return [
            self._tombstone(m) if m.deleted else self._score(m, next(text_scores), now)
            for m in mentions
        ]

    def _score(self, mention: Mention, text: TextScore, now: datetime) -> ScoredMention:
        author = mention.author
        author_reach = reach(author=author)
        state = self.tracker.observe(
            root_id=mention.root_id,
            mention_id=mention.id,
            at=mention.created_at or now,
            is_reply=mention.is_reply,
            negative=text.is_negative,
            reach=author_reach,
        )
        scores = Scores(
            negativity=text.negativity,
            is_negative=text.is_negative,
            sentiment=text.sentiment,
            reach=author_reach,
            reach_tier=reach_tier(followers=author.followers),
            est_impressions=est_impressions(followers=author.followers, metrics=mention.metrics),
            thread_velocity=state.velocity,
            pile_on_risk=pile_on_risk(
                root_reach=state.root_reach, velocity=state.velocity, negativity=text.negativity
            ),
            model_version=self.scorer.model_version,
            explanation=list(text.explanation),
        )
        return ScoredMention.of(mention, scores)

    def _tombstone(self, mention: Mention) -> ScoredMention:
        """A deleted post passes through unscored, leaving thread state alone."""
        scores = Scores(
            negativity=0.0,
            is_negative=False,
            sentiment=Sentiment.NEUTRAL,
            model_version=self.scorer.model_version,
        )
        return ScoredMention.of(mention, scores)
