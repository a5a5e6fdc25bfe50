"""Events and stores for the api tests (also used by tests/integration/test_api_postgres.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smileback.api.auth import Scope
from smileback.api.store import apply_incident_event, create_key, upsert_mention, upsert_queue_item
from smileback.common.events import (
    Author,
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    QueueName,
    ScoredMention,
    Scores,
    Sentiment,
    Severity,
    Thread,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "test-token-0123456789"


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
    """A scored mention with sensible defaults."""
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
    context: dict[str, Any] | None = None,
    brand: str = "acme",
    actor: str | None = None,
) -> IncidentEvent:
    """An incident event whose id is derived from its incident, type and mention."""
    return IncidentEvent(
        event_id=f"{incident_id}:{kind}:{mention_id}",
        type=kind,
        incident_id=incident_id,
        brand=brand,
        thread_root_id=f"root-{incident_id}",
        rule="large_audience_complaint",
        severity=severity,
        at=at,
        mention_id=mention_id,
        mention_count=mention_count,
        peak_velocity=peak_velocity,
        summary=summary,
        actor=actor,
        context=context or {},
    )


def quoting_context(
    mention: ScoredMention, *, similar: Sequence[ScoredMention] = ()
) -> dict[str, Any]:
    """An incident context packet with `mention` as its headline, shaped as alerts builds it."""

    def ref(m: ScoredMention) -> dict[str, Any]:
        return {"mention_id": m.id, "handle": m.author.handle, "text": m.text, "url": m.url}

    return {
        "mention_id": mention.id,
        "summary": f'[critical] acme: {mention.author.handle}: "{mention.text}"',
        "who": {
            "handle": mention.author.handle,
            "display_name": mention.author.display_name,
            "followers": mention.author.followers,
        },
        "what": {"text": mention.text, "url": mention.url, "lang": mention.lang},
        "thread": {"root_id": mention.root_id, "root": ref(mention), "latest_replies": []},
        "similar": {
            "window_minutes": 60,
            "count": len(similar),
            "items": [ref(m) for m in similar],
        },
        "redacted_mention_ids": [],
    }


def queue_item(mention_id: str, *, queue: QueueName = QueueName.SMILE_BACK) -> QueueItem:
    """A queue entry for a mention."""
    return QueueItem(mention_id=mention_id, brand="acme", queue=queue, reason="kind hello", at=T0)


def store_mentions(engine: Engine, mentions: Iterable[ScoredMention]) -> None:
    """Upsert mentions in one transaction."""
    with Session(engine) as session, session.begin():
        for mention in mentions:
            upsert_mention(session=session, scored=mention, now=T0)


def store_events(engine: Engine, events: Iterable[IncidentEvent]) -> None:
    """Apply incident events in one transaction."""
    with Session(engine) as session, session.begin():
        for event in events:
            apply_incident_event(session=session, event=event)


def store_queue(engine: Engine, items: Iterable[QueueItem]) -> None:
    """Upsert queue items in one transaction."""
    with Session(engine) as session, session.begin():
        for item in items:
            upsert_queue_item(session=session, item=item)


def make_key(
    engine: Engine,
    scope: Scope,
    *,
    name: str = "tester",
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, dict[str, str]]:
    """A stored API key: its id and the Authorization header carrying its token."""
    with Session(engine) as session, session.begin():
        key, token = create_key(
            session=session,
            name=name,
            scope=scope,
            now=now or datetime.now(UTC),
            expires_at=expires_at,
        )
    return key.id, {"Authorization": f"Bearer {token}"}


def opened_incident(engine: Engine, *, incident_id: str = "inc_1", brand: str = "acme") -> None:
    """An open, paged incident quoting mention m1 of its thread."""
    mention = scored("m1", root=f"root-{incident_id}", brand=brand)
    store_mentions(engine, [mention])
    store_events(
        engine,
        [
            incident_event(
                kind,
                incident_id=incident_id,
                brand=brand,
                summary="[critical] acme: @alice complains",
                context=quoting_context(mention),
            )
            for kind in (IncidentEventType.OPENED, IncidentEventType.PAGED)
        ],
    )
