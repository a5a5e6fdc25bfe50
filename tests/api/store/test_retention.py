"""Retention: old mentions and queue entries go, incidents stay; the purger thread runs it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smileback.api.runner import start_purger
from smileback.api.store import (
    IncidentEventRow,
    IncidentRow,
    MentionRow,
    QueueItemRow,
    purge_before,
    retention_cutoff,
)
from smileback.common.events import QueueItem, QueueName
from tests.support.builders import T0, scored
from tests.support.store import opened_incident, store_mentions, store_queue


def _ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(MentionRow.id)))


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _old_and_new(engine: Engine) -> None:
    opened_incident(engine)  # quotes m1, created at T0
    store_mentions(
        engine,
        [scored(f"old{i}", created_at=T0 - timedelta(days=40, minutes=i)) for i in range(7)]
        + [scored("new", created_at=T0 + timedelta(days=1))],
    )
    store_queue(
        engine,
        [
            QueueItem(
                mention_id="old0",
                brand="acme",
                queue=QueueName.SMILE_BACK,
                reason="r",
                at=T0 - timedelta(days=40),
            ),
            QueueItem(
                mention_id="new", brand="acme", queue=QueueName.SMILE_BACK, reason="r", at=T0
            ),
        ],
    )


def test_purge_deletes_old_mentions_in_batches_and_keeps_incidents(engine: Engine) -> None:
    _old_and_new(engine)
    report = purge_before(engine=engine, before=T0 - timedelta(days=30), batch_size=3)
    assert (report.mentions, report.queue_items) == (7, 1)
    assert _ids(engine) == ["m1", "new"]
    assert _count(engine, IncidentRow) == 1
    assert _count(engine, IncidentEventRow) == 2
    with Session(engine) as session:
        assert session.scalars(select(QueueItemRow.mention_id)).all() == ["new"]
    again = purge_before(engine=engine, before=T0 - timedelta(days=30))
    assert (again.mentions, again.queue_items) == (0, 0)


def test_the_cutoff_is_days_before_now() -> None:
    assert retention_cutoff(now=T0, days=30) == T0 - timedelta(days=30)


def test_the_purger_thread_purges_at_start_and_stops(engine: Engine) -> None:
    _old_and_new(engine)
    stop = threading.Event()
    thread = start_purger(
        engine=engine,
        retention_days=30,
        interval_s=3600,
        clock=lambda: T0 + timedelta(days=2),
        stop=stop,
    )
    try:
        deadline = time.monotonic() + 10
        while len(_ids(engine)) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _ids(engine) == ["m1", "new"]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
