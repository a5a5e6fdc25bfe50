"""Escalation made visible: each page's outcome is published once as a `notified` event, and
`paged`/`escalated` events say when the next level fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smileback.common.events import IncidentEventType, PageOutcome, encode, incident_id_for
from tests.alerts.harness import Harness
from tests.alerts.test_service import ONCALL
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROOT_ID = incident_id_for(brand="acme", thread_root_id="root")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def test_a_page_outcome_is_published_once_with_who_and_how(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), oncall=ONCALL)
    h.notifiers["webhook"].fail_times = 2
    h.feed(encode(scored("root")))
    (paged,) = [e for e in h.incidents() if e.type is IncidentEventType.PAGED]
    assert paged.next_escalation_at == T0 + timedelta(minutes=5)  # level 1's escalate_after
    for _ in range(3):
        h.deliver()
        h.service.tick()
        clock.advance(minutes=1)
    h.restart()  # what was published is not published again
    h.service.tick()
    notified = [e for e in h.incidents() if e.type is IncidentEventType.NOTIFIED]
    # The first failure and the delivery: not one event per retry.
    assert [e.delivery.outcome for e in notified if e.delivery] == [
        PageOutcome.FAILED,
        PageOutcome.DELIVERED,
    ]
    delivery = notified[-1].delivery
    assert delivery is not None
    assert (delivery.notifier, delivery.target, delivery.level) == ("webhook", "webhook", 1)
    assert delivery.responders == ["ana"]
    assert delivery.at == T0 + timedelta(minutes=2)  # the third attempt
    assert len({e.event_id for e in notified}) == 2
    assert all(e.incident_id == ROOT_ID for e in notified)


def test_a_dead_lettered_page_is_reported_as_such(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.notifiers["webhook"].fail_times, h.notifiers["webhook"].permanent = 1, True
    h.feed(encode(scored("root")))
    h.deliver()
    h.service.tick()
    (notified,) = [e for e in h.incidents() if e.type is IncidentEventType.NOTIFIED]
    assert notified.delivery is not None
    assert notified.delivery.outcome is PageOutcome.DEAD_LETTERED
