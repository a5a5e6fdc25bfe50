"""Builders of the shared events (`smileback.common.events`) for every test: mentions as the
scorer reads them, scored mentions as alerts and the api read them, incident events and queue
items. One clock origin, T0, for all of them. Service-specific doubles stay beside their
tests (tests/alerts/factory.py, tests/scorer/doubles.py); the api store's helpers are in
tests/support/store.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smileback.common.events import (
    Author,
    IncidentEvent,
    IncidentEventType,
    Mention,
    QueueItem,
    QueueName,
    ReachTier,
    ResponderAction,
    ScoredMention,
    Scores,
    Sentiment,
    Severity,
    Thread,
)
from smileback.common.packet import (
    ContextPacket,
    PostRef,
    SimilarSection,
    ThreadSection,
    WhatSection,
    WhoSection,
    WhySection,
)

__all__ = [
    "FOLLOWERS",
    "T0",
    "incident_event",
    "mention",
    "queue_item",
    "quoting_packet",
    "scored",
    "scored_tiered",
    "tombstone",
]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Followers for each reach tier, as `scored_tiered` gives them to its author.
FOLLOWERS = {
    ReachTier.NONE: 0,
    ReachTier.NANO: 300,
    ReachTier.MICRO: 5_000,
    ReachTier.MACRO: 250_000,
    ReachTier.MEGA: 3_000_000,
}


def mention(mid, text="hello", *, root=None, minutes=0.0, followers=0, author=None, **extra):
    """A raw mention `minutes` after T0, in the thread of `root` (a reply to it)."""
    return Mention(
        id=mid,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(**(author or {"id": f"a-{mid}", "followers": followers})),
        thread=Thread(root_id=root, parent_id=root),
        **extra,
    )


def scored(
    mention_id: str,
    *,
    text: str = "Acme Coffee, my order never arrived",
    brand: str | None = "acme",
    created_at: datetime | None = T0,
    negativity: float = 0.9,
    velocity: float = 0.0,
    root: str | None = None,
    handle: str = "alice",
    followers: int = 250_000,
    url: str | None = "https://social.example/@alice/1",
    deleted: bool = False,
    model_version: str = "interim-1",
) -> ScoredMention:
    """A scored mention as the api stores it: created at T0, in English, by @alice with
    250,000 followers."""
    return ScoredMention(
        id=mention_id,
        text=text,
        platform="mastodon",
        brand=brand,
        url=url,
        lang="en",
        created_at=created_at,
        ingested_at=created_at + timedelta(seconds=1) if created_at else None,
        author=Author(
            id=f"u-{handle}", handle=handle, display_name=handle.title(), followers=followers
        ),
        thread=Thread(root_id=root),
        deleted=deleted,
        scores=Scores(
            negativity=negativity,
            is_negative=negativity >= 0.5,
            sentiment=Sentiment.NEGATIVE if negativity >= 0.5 else Sentiment.POSITIVE,
            reach=0.8,
            thread_velocity=velocity,
            model_version=model_version,
            explanation=["never", "arrived"],
        ),
    )


def tombstone(mention_id: str, *, created_at: datetime | None = None) -> ScoredMention:
    """What the pipeline sends when the source post is deleted."""
    return scored(
        mention_id,
        text="",
        created_at=created_at,
        negativity=0.0,
        handle="",
        followers=0,
        url=None,
        deleted=True,
    )


def scored_tiered(
    mention_id: str,
    *,
    text: str = "Your app lost my order again, worst support ever",
    brand: str | None = "acme",
    negativity: float = 0.95,
    sentiment: Sentiment | None = None,
    is_negative: bool | None = None,
    tier: ReachTier = ReachTier.MACRO,
    root_id: str | None = None,
    velocity: float = 0.0,
    deleted: bool = False,
    handle: str = "loudcustomer",
    risk: float = 0.4,
    brand_now: int = 0,
    brand_baseline: float = 0.0,
    **extra: Any,
) -> ScoredMention:
    """A scored mention as the alerts policy reads it: a verified author with the followers of
    `tier`, pile-on risk and brand baseline set; negativity >= 0.5 makes it negative unless
    `is_negative` says otherwise (a model's threshold may be lower), and sets `sentiment`
    unless given."""
    negative = negativity >= 0.5 if is_negative is None else is_negative
    if sentiment is None:
        sentiment = Sentiment.NEGATIVE if negative else Sentiment.NEUTRAL
    return ScoredMention(
        id=mention_id,
        text=text,
        platform="mastodon",
        brand=brand,
        url=f"https://social.example/@{handle}/{mention_id}",
        author=Author(id=f"u-{handle}", handle=handle, followers=FOLLOWERS[tier], verified=True),
        thread=Thread(root_id=root_id, parent_id=root_id),
        deleted=deleted,
        scores=Scores(
            negativity=negativity,
            is_negative=negative,
            sentiment=sentiment,
            reach_tier=tier,
            thread_velocity=velocity,
            pile_on_risk=risk,
            brand_negative_now=brand_now,
            brand_negative_baseline=brand_baseline,
            model_version="test",
            explanation=["lost", "worst"],
        ),
        **extra,
    )


def incident_event(
    kind: IncidentEventType,
    *,
    incident_id: str = "inc_1",
    mention_id: str = "m1",
    at: datetime = T0,
    severity: Severity = Severity.CRITICAL,
    mention_count: int = 1,
    peak_velocity: float = 0.0,
    summary: str = "",
    packet: ContextPacket | None = None,
    action: ResponderAction | None = None,
    brand: str = "acme",
    responder: str | None = None,
    event_id: str | None = None,
    thread_root_id: str | None = None,
) -> IncidentEvent:
    """An incident event; its id derived from its incident, type and mention and its thread
    root from the incident unless given."""
    return IncidentEvent(
        event_id=event_id or f"{incident_id}:{kind}:{mention_id}",
        type=kind,
        incident_id=incident_id,
        brand=brand,
        thread_root_id=thread_root_id or f"root-{incident_id}",
        rule="large_audience_complaint",
        severity=severity,
        at=at,
        mention_id=mention_id,
        mention_count=mention_count,
        peak_velocity=peak_velocity,
        summary=summary,
        responder=responder,
        packet=packet,
        action=action,
    )


def quoting_packet(
    mention: ScoredMention, *, similar: Sequence[ScoredMention] = ()
) -> ContextPacket:
    """An incident context packet with `mention` as its headline, shaped as alerts builds it."""

    def ref(m: ScoredMention) -> PostRef:
        return PostRef(mention_id=m.id, handle=m.author.handle, text=m.text, url=m.url)

    return ContextPacket(
        incident_id="inc_1",
        brand="acme",
        rule="large_audience_complaint",
        severity=Severity.CRITICAL,
        mention_id=mention.id,
        summary=f'[critical] acme: {mention.author.handle}: "{mention.text}"',
        who=WhoSection(
            handle=mention.author.handle,
            display_name=mention.author.display_name,
            followers=mention.author.followers,
            verified=False,
            bot=False,
            account_age_days=None,
            platform=mention.platform,
        ),
        what=WhatSection(text=mention.text, url=mention.url, lang=mention.lang, created_at=None),
        why=WhySection(
            rule="large_audience_complaint",
            reason="negativity 0.90, reach macro",
            negativity=mention.scores.negativity,
            top_terms=("never", "arrived"),
            reach_tier=ReachTier.MACRO,
            reach=0.8,
            est_impressions=0,
            thread_velocity=0.0,
            peak_velocity=0.0,
            pile_on_risk=0.0,
        ),
        thread=ThreadSection(
            root_id=mention.root_id, root=ref(mention), reply_count=0, latest_replies=()
        ),
        similar=SimilarSection(
            window_minutes=60, count=len(similar), items=tuple(ref(m) for m in similar)
        ),
        guide=("Answer personally and soon.",),
        redacted_mention_ids=(),
    )


def queue_item(mention_id: str, *, queue: QueueName = QueueName.SMILE_BACK) -> QueueItem:
    """A queue entry for a mention."""
    return QueueItem(mention_id=mention_id, brand="acme", queue=queue, reason="kind hello", at=T0)
