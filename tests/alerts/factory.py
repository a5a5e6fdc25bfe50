"""Build ScoredMentions for the alerts tests with only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smileback.alerts.incidents import Incident, build_packet
from smileback.alerts.notifiers import Notification, NotificationKind, ResponderRef
from smileback.alerts.policy import Action, Decision
from smileback.common.events import (
    Author,
    ReachTier,
    ScoredMention,
    Scores,
    Sentiment,
    Severity,
    Thread,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

FOLLOWERS = {
    ReachTier.NONE: 0,
    ReachTier.NANO: 300,
    ReachTier.MICRO: 5_000,
    ReachTier.MACRO: 250_000,
    ReachTier.MEGA: 3_000_000,
}


def scored(
    mention_id: str,
    *,
    text: str = "Your app lost my order again, worst support ever",
    brand: str | None = "acme",
    negativity: float = 0.95,
    sentiment: Sentiment | None = None,
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
    """A scored mention; negativity >= 0.5 makes it negative unless `sentiment` says otherwise."""
    negative = negativity >= 0.5
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


def incident(**extra: Any) -> Incident:
    """An open critical incident of thread "root"; `extra` overrides any field."""
    fields: dict[str, Any] = {
        "incident_id": "inc_abc",
        "brand": "acme",
        "thread_root_id": "root",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "opened_at": T0,
        "last_activity_at": T0,
        "summary": "[critical] acme: @loud (250,000 followers)",
        "summary_mention_id": "root",
        "mention_ids": {"root"},
    }
    return Incident(**(fields | extra))


def notification(kind: str = "trigger", **extra: Any) -> Notification:
    """A notification carrying a full context packet, as the outbox stores it."""
    inc = incident()
    mention = scored("root", handle="@loud", text="Lost my order <again> & again")
    decision = Decision(
        Action.PAGE, rule="large_audience_complaint", severity=Severity.CRITICAL, reason="because"
    )
    packet = build_packet(incident=inc, mention=mention, decision=decision, similar=[], now=T0)
    fields: dict[str, Any] = {
        "incident_id": "inc_abc",
        "kind": NotificationKind(kind),
        "brand": "acme",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "summary": inc.summary,
        "packet": packet,
        "level": 1 if kind == "trigger" else None,
        "responders": [ResponderRef(id="ana", name="Ana", email="ana@example.com", slack="U1")],
        "at": T0,
    }
    return Notification(**(fields | extra))
