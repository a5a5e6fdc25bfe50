"""The scoring core: text scores once per batch, then thread state, then brand and author state.

Two steps, so the Faust app can run them in the partitions where their state lives: the
thread step where mentions are keyed by thread root, the brand step after re-keying by
brand (see app.py). `score_batch` runs both in order on in-memory stores, which is what
the embedded demo and `smileback score` use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import AwareDatetime

from smileback.common.events import Event, Mention, ScoredMention, Scores, Sentiment
from smileback.scorer import authors, baseline, threads
from smileback.scorer.authors import AuthorState, author_key
from smileback.scorer.baseline import BrandState
from smileback.scorer.metrics import DUPLICATES
from smileback.scorer.pileon import credibility, pile_on_risk
from smileback.scorer.reach import est_impressions, reach, reach_tier
from smileback.scorer.state import MemoryStore, StateStore, digest
from smileback.scorer.text_scoring import TextScore, TextScorer
from smileback.scorer.threads import ThreadState, ThreadTracker

__all__ = [
    "MAX_STAGED_PER_RECORD",
    "MAX_STAGED_RECORD_BYTES",
    "ScoringPipeline",
    "Staged",
    "StagedBatch",
    "pack_staged",
]

# A by-brand record carries many staged mentions, at most this many bytes (well under
# Kafka's default 1 MiB message limit; a single larger mention gets a record of its own) and
# this many mentions (so the brand step can bound its batches by mentions, not records).
MAX_STAGED_RECORD_BYTES = 256 * 1024
MAX_STAGED_PER_RECORD = 100


class Staged(Event):
    """A mention after the thread step: the scorer's own record on its by-brand topic."""

    scored: ScoredMention
    at: AwareDatetime  # the time the mention was placed at (created_at, else the batch's now)
    duplicate: bool = False  # the thread had seen this id already: count it nowhere else


class StagedBatch(Event):
    """Staged mentions of one brand, in order: a thread-step batch sends a brand's mentions
    as a few of these rather than one record each, so the by-brand hop costs a few records
    per batch instead of one per mention."""

    staged: list[Staged]


def pack_staged(encoded: Sequence[bytes]) -> list[bytes]:
    """Encoded `Staged` values, in order, as encoded `StagedBatch` values of at most
    MAX_STAGED_RECORD_BYTES and MAX_STAGED_PER_RECORD mentions each. Joined as bytes: each
    part is already valid JSON."""
    records: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for part in encoded:
        if chunk and (
            size + len(part) > MAX_STAGED_RECORD_BYTES or len(chunk) == MAX_STAGED_PER_RECORD
        ):
            records.append(_join(chunk))
            chunk, size = [], 0
        chunk.append(part)
        size += len(part) + 1
    if chunk:
        records.append(_join(chunk))
    return records


def _join(parts: list[bytes]) -> bytes:
    return b'{"staged":[' + b",".join(parts) + b"]}"


class ScoringPipeline:
    """Scores text a batch at a time and adds reach, thread, author and brand state."""

    def __init__(self, *, scorer: TextScorer, tracker: ThreadTracker | None = None) -> None:
        self.scorer = scorer
        self.tracker = tracker if tracker is not None else ThreadTracker()
        self.brands: MemoryStore[BrandState] = MemoryStore()
        self.authors: MemoryStore[AuthorState] = MemoryStore()

    def score_batch(self, *, mentions: Sequence[Mention], now: datetime) -> list[ScoredMention]:
        """Score `mentions` in order with in-memory state; `now` stands in for `created_at`."""
        texts = self.text_scores(mentions)
        return [
            self.finish(mention=mention, text=text, now=now)
            for mention, text in zip(mentions, texts, strict=True)
        ]

    def finish(self, *, mention: Mention, text: TextScore | None, now: datetime) -> ScoredMention:
        """Both steps on in-memory state for a text-scored mention; a tombstone passes through."""
        if text is None:
            return self.tombstone(mention)
        return self.brand_step(staged=self.thread_step(mention=mention, text=text, now=now))

    def text_scores(self, mentions: Sequence[Mention]) -> list[TextScore | None]:
        """One scorer call for the live mentions; None in place of each tombstone."""
        live = [m.text for m in mentions if not m.deleted]
        scored = self.scorer.score_texts(live) if live else []
        if len(scored) != len(live):
            raise ValueError(f"scorer returned {len(scored)} scores for {len(live)} texts")
        found = iter(scored)
        return [None if m.deleted else next(found) for m in mentions]

    def thread_step(
        self,
        *,
        mention: Mention,
        text: TextScore,
        now: datetime,
        threads_store: StateStore[ThreadState] | None = None,
    ) -> Staged:
        """Text, reach and the thread's state at the mention's time; updates the thread."""
        store = threads_store if threads_store is not None else self.tracker
        author = mention.author
        at = mention.created_at or now
        author_reach = reach(author=author)
        post = threads.Post(
            mention_id=mention.id,
            at=at,
            is_reply=mention.is_reply,
            negative=text.is_negative,
            reach=author_reach,
            author=digest(mention.author_identity),
            credibility=credibility(author=author, at=at),
        )
        before = store.get(mention.root_id)
        state, thread = threads.observe(before, post)
        if state is not before:
            store.put(mention.root_id, state)
        if thread.duplicate:
            DUPLICATES.inc()
        scores = Scores(
            negativity=text.negativity,
            is_negative=text.is_negative,
            sentiment=text.sentiment,
            reach=author_reach,
            reach_tier=reach_tier(followers=author.followers),
            est_impressions=est_impressions(followers=author.followers, metrics=mention.metrics),
            thread_velocity=thread.velocity,
            thread_acceleration=thread.acceleration,
            pile_on_risk=pile_on_risk(
                root_reach=thread.root_reach,
                credible_velocity=thread.credible_velocity,
                negative_share=thread.negative_share,
                velocity=thread.velocity,
                previous_velocity=thread.previous_velocity,
            ),
            model_version=self.scorer.model_version,
            explanation=list(text.explanation),
        )
        return Staged(scored=ScoredMention.of(mention, scores), at=at, duplicate=thread.duplicate)

    def brand_step(
        self,
        *,
        staged: Staged,
        brands_store: StateStore[BrandState] | None = None,
        authors_store: StateStore[AuthorState] | None = None,
        brand_key: str | None = None,
        siblings: Callable[[str], Sequence[BrandState]] | None = None,
    ) -> ScoredMention:
        """Adds the brand's baseline and the author's mention count; updates both states.

        `brand_key` is the key of the brand state this mention counts in (the brand, unless
        it is spread over shards: shards.py); `siblings` gives the states of the brand's
        other shards, whose counts its readings add to this one's."""
        scored = staged.scored
        if scored.brand is None:
            return scored
        brands = brands_store if brands_store is not None else self.brands
        people = authors_store if authors_store is not None else self.authors
        state_key = brand_key or scored.brand
        update: dict[str, object] = {}
        brand_state = brands.get(state_key)
        brand: baseline.BrandReading | None = None
        if not staged.duplicate:
            observed, brand = baseline.observe(
                brand_state, mention_id=scored.id, at=staged.at, negative=scored.scores.is_negative
            )
            if observed is not brand_state:
                brands.put(state_key, observed)
            brand_state = observed
        others = siblings(state_key) if siblings is not None else ()
        if brand is None or others:  # a duplicate is read as it stands; shards are summed
            mine = [brand_state] if brand_state is not None else []
            brand = baseline.read(baseline.merge([*mine, *others]), at=staged.at)
        update.update(
            brand_negative_now=brand.negative_now,
            brand_negative_baseline=brand.negative_baseline,
        )
        key = author_key(brand=scored.brand, author=scored.author)
        if key is not None:
            author_before = people.get(key)
            if staged.duplicate and author_before is not None:
                update["author_mentions"] = author_before.mentions
            else:
                author_state, seen = authors.observe(
                    author_before, author=scored.author, mention_id=scored.id, at=staged.at
                )
                if author_state is not author_before:
                    people.put(key, author_state)
                update["author_mentions"] = seen.mentions
        return scored.model_copy(update={"scores": scored.scores.model_copy(update=update)})

    def tombstone(self, mention: Mention) -> ScoredMention:
        """A deleted post passes through unscored, leaving every state alone."""
        scores = Scores(
            negativity=0.0,
            is_negative=False,
            sentiment=Sentiment.NEUTRAL,
            model_version=self.scorer.model_version,
        )
        return ScoredMention.of(mention, scores)
