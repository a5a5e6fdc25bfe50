"""Flare-ups through the service: a resolved thread that pages again reopens under a new
dedup key, across a restart, and the flapping guard holds back pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smileback.alerts.incidents import FLAPPING
from smileback.alerts.policy import BrandPolicy, Policy
from smileback.common.events import IncidentEventType, encode, incident_id_for
from tests.alerts.harness import Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROOT_ID = incident_id_for(brand="acme", thread_root_id="root")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def quiet_close(h: Harness, clock: FakeClock) -> None:
    clock.advance(minutes=61)
    h.service.tick()
    h.deliver()
    h.deliver()


def test_a_flare_up_after_the_quiet_resolve_pages_under_a_new_dedup_key(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root")))
    quiet_close(h, clock)
    h.restart()  # the resolved incident is remembered from the database
    clock.advance(hours=3)
    h.feed(encode(scored("r1", root_id="root")))
    h.deliver()
    quiet_close(h, clock)
    sent = [(str(n.kind), n.dedup_key) for n in h.notifiers["webhook"].sent]
    assert sent == [
        ("trigger", ROOT_ID),
        ("resolve", ROOT_ID),
        ("trigger", f"{ROOT_ID}#r1"),
        ("resolve", f"{ROOT_ID}#r1"),
    ]
    notified = IncidentEventType.NOTIFIED  # the pages' outcomes: test_service_paging
    own = [(e.type, e.event_id) for e in h.incidents() if e.type is not notified]
    assert own == [
        (IncidentEventType.OPENED, f"{ROOT_ID}:opened:root"),
        (IncidentEventType.PAGED, f"{ROOT_ID}:paged:0"),
        (IncidentEventType.RESOLVED, f"{ROOT_ID}:resolved:quiet"),
        (IncidentEventType.REOPENED, f"{ROOT_ID}:reopened:1"),
        (IncidentEventType.PAGED, f"{ROOT_ID}:paged:1"),
        (IncidentEventType.RESOLVED, f"{ROOT_ID}:resolved:quiet:r1"),
    ]


def test_past_the_brand_window_a_flare_up_opens_nothing(tmp_path: Path, clock: FakeClock) -> None:
    policy = Policy(defaults=BrandPolicy(reopen_within_hours=1))
    h = Harness(tmp_path, clock, policy=policy)
    h.feed(encode(scored("root")))
    quiet_close(h, clock)
    clock.advance(hours=2)
    h.service.tick()
    h.restart()
    h.feed(encode(scored("r1", root_id="root")))
    h.deliver()
    assert [str(n.kind) for n in h.notifiers["webhook"].sent] == ["trigger", "resolve"]
    assert IncidentEventType.REOPENED not in [e.type for e in h.incidents()]


def test_the_flapping_guard_stops_pages_and_keeps_the_incident_open(
    tmp_path: Path, clock: FakeClock
) -> None:
    policy = Policy(defaults=BrandPolicy(resolve_after_quiet_minutes=1, max_reopens_per_hour=1))
    h = Harness(tmp_path, clock, policy=policy)
    h.feed(encode(scored("root")))
    for n in (1, 2):
        clock.advance(minutes=2)
        h.service.tick()  # resolved: the thread went quiet
        h.feed(encode(scored(f"r{n}", root_id="root")))
    clock.advance(minutes=30)
    h.service.tick()
    for _ in range(4):
        h.deliver()
    triggers = [n.dedup_key for n in h.notifiers["webhook"].sent if str(n.kind) == "trigger"]
    assert triggers == [ROOT_ID, f"{ROOT_ID}#r1"]
    reopened = [e for e in h.incidents() if e.type is IncidentEventType.REOPENED]
    assert [e.note for e in reopened] == [None, FLAPPING]
    assert h.incidents()[-1].type is IncidentEventType.REOPENED  # not resolved again
    assert h.service.book.get(ROOT_ID) is not None
