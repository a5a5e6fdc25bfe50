"""A batch whose events went out but whose database transaction did not commit (a crash, or
the database failing right then) is handled again by the next process from the committed
offsets: it must reach the same decisions, so every page it announced is stored and sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from smileback.alerts.outbox import OutboxRow
from smileback.common.events import IncidentEventType, ReachTier, encode, incident_id_for
from tests.alerts.harness import TOPICS, Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
SURGE_ID = incident_id_for(brand="acme", thread_root_id="surge:2025-03-03T12:00:00+00:00")
MIN_NEGATIVES = 20  # the default policy's brand_surge.min_negatives


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def complaint(n: int) -> bytes:
    """The n-th small complaint of its own thread: part of a brand surge, never a page alone."""
    return encode(
        scored(f"s{n}", tier=ReachTier.NANO, created_at=T0, brand_now=n + 1, brand_baseline=1)
    )


def triggers(h: Harness, incident_id: str) -> list[OutboxRow]:
    with Session(h.engine) as session:
        return list(
            session.scalars(
                select(OutboxRow).where(
                    OutboxRow.incident_id == incident_id, OutboxRow.kind == "trigger"
                )
            )
        )


def test_a_surge_page_announced_before_a_failed_commit_is_stored_by_the_replay(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(*[complaint(n) for n in range(MIN_NEGATIVES - 1)], key="surge")
    assert not h.incidents()  # one short of a surge: each went to triage

    def lost(*_: object, **__: object) -> int:
        raise OperationalError("INSERT INTO alerts_outbox", {}, ConnectionError("gone"))

    # The complaint that makes it a surge: its events are published, then the transaction
    # that stores the incident and its page fails, as if the process died right there.
    monkeypatch.setattr(h.service.outbox, "enqueue", lost)
    h.bus.publish(TOPICS.scored, key="surge", value=complaint(MIN_NEGATIVES - 1))
    with pytest.raises(OperationalError):
        h.pump()
    announced = {
        e.event_id
        for e in h.incidents()
        if e.type is IncidentEventType.PAGED and e.incident_id == SURGE_ID
    }
    assert announced == {f"{SURGE_ID}:paged:0"}

    h.restart()  # from the database and the committed offsets, nothing kept in memory
    h.pump()
    h.deliver()

    assert [(r.target, r.step) for r in triggers(h, SURGE_ID)] == [("webhook", 0)]
    assert (SURGE_ID, "trigger", 1) in h.sent()
    paged = [
        e.event_id
        for e in h.incidents()
        if e.type is IncidentEventType.PAGED and e.incident_id == SURGE_ID
    ]
    assert set(paged) == announced  # the replay repeated the page's id, it made no other


def test_a_restart_mid_surge_keeps_counting_from_where_it_was(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(*[complaint(n) for n in range(MIN_NEGATIVES - 1)], key="surge")
    h.restart()
    h.feed(complaint(MIN_NEGATIVES - 1), key="surge")
    h.deliver()
    assert [(r.target, r.step) for r in triggers(h, SURGE_ID)] == [("webhook", 0)]
    assert h.sent() == [(SURGE_ID, "trigger", 1)]
