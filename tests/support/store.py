"""The api's store for tests: a migrated store on SQLite or PostgreSQL, a fresh PostgreSQL
database, emptied tables, and what the tests put into a store (mentions, incident events,
queue items, API keys)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from smileback.api.auth import Scope
from smileback.api.store import (
    apply_incident_event,
    create_key,
    create_schema,
    make_engine,
    upsert_mentions,
    upsert_queue_items,
)
from smileback.api.store.models import Base
from smileback.common.events import IncidentEvent, IncidentEventType, QueueItem, ScoredMention
from tests.support.builders import T0, incident_event, quoting_packet, scored

__all__ = [
    "make_key",
    "migrated_store",
    "opened_incident",
    "store_events",
    "store_mentions",
    "store_on",
    "store_queue",
    "truncate_all",
]


def truncate_all(engine: Engine) -> None:
    """Empty every table of the store (the migration history stays)."""
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))


@contextlib.contextmanager
def migrated_store(engine: Engine) -> Iterator[Engine]:
    """`engine` with the store's schema, disposed of afterwards."""
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()


def store_on(url: str) -> contextlib.AbstractContextManager[Engine]:
    """A migrated store on `url`."""
    return migrated_store(make_engine(url))


def store_mentions(engine: Engine, mentions: Iterable[ScoredMention]) -> None:
    """Upsert mentions in one transaction."""
    with Session(engine) as session, session.begin():
        upsert_mentions(session=session, mentions=list(mentions), now=T0)


def store_events(engine: Engine, events: Iterable[IncidentEvent]) -> None:
    """Apply incident events in one transaction."""
    with Session(engine) as session, session.begin():
        for event in events:
            apply_incident_event(session=session, event=event)


def store_queue(engine: Engine, items: Iterable[QueueItem]) -> None:
    """Upsert queue items in one transaction."""
    with Session(engine) as session, session.begin():
        upsert_queue_items(session=session, items=list(items))


def make_key(
    engine: Engine,
    scope: Scope,
    *,
    name: str = "tester",
    expires_at: datetime | None = None,
    now: datetime | None = None,
    responder: str | None = None,
) -> tuple[str, dict[str, str]]:
    """A stored API key (of `responder`): its id and the Authorization header carrying its
    token."""
    with Session(engine) as session, session.begin():
        key, token = create_key(
            session=session,
            name=name,
            scope=scope,
            now=now or datetime.now(UTC),
            expires_at=expires_at,
            responder=responder,
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
                packet=quoting_packet(mention),
            )
            for kind in (IncidentEventType.OPENED, IncidentEventType.PAGED)
        ],
    )
