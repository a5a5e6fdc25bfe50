"""Flare-ups: a resolved incident whose thread pages again reopens, within its window and
behind the flapping guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.incidents import FLAPPING, Incident, IncidentBook, Reopening
from smileback.alerts.policy import BrandPolicy, classify
from smileback.common.events import IncidentEventType, ReachTier, incident_id_for
from smileback.common.incident_status import IncidentStatus
from tests.support.builders import scored_tiered as scored

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = BrandPolicy()
ROOT_ID = incident_id_for(brand="acme", thread_root_id="root")
REOPEN = Reopening(within=timedelta(hours=24), max_per_hour=2)


def decided(book: IncidentBook, mention, *, at=T0, reopening: Reopening | None = REOPEN):
    return book.apply(
        mention=mention,
        decision=classify(mention=mention, policy=POLICY),
        now=at,
        reopening=reopening,
    )


def resolved_book(*, at: datetime = T0) -> IncidentBook:
    book = IncidentBook()
    decided(book, scored("root"), at=at)
    book.acknowledge(incident_id=ROOT_ID, responder="ana")
    book.resolve(incident_id=ROOT_ID, now=at + timedelta(minutes=5))
    return book


def test_a_flare_up_within_the_window_reopens_unclaimed_and_pages() -> None:
    book = resolved_book()
    at = T0 + timedelta(hours=2)
    applied = decided(book, scored("r1", root_id="root"), at=at)
    assert applied.paged
    (event,) = applied.events
    assert (event.type, event.event_id, event.note) == (
        IncidentEventType.REOPENED,
        f"{ROOT_ID}:reopened:1",
        None,
    )
    inc = book.get(ROOT_ID)
    assert inc is not None
    assert (inc.status, inc.owner, inc.resolved_at, inc.reopenings) == (
        IncidentStatus.OPEN,
        None,
        None,
        1,
    )
    assert inc.mention_count == 2
    assert "root" in book.open_roots(brand="acme")


def test_activity_that_does_not_page_leaves_it_resolved() -> None:
    book = resolved_book()
    quiet_reply = scored("r1", root_id="root", tier=ReachTier.MICRO)
    assert decided(book, quiet_reply, at=T0 + timedelta(hours=1)).events == []
    assert book.get(ROOT_ID) is None


def test_past_the_window_or_without_one_it_stays_resolved() -> None:
    book = resolved_book()
    late = T0 + timedelta(minutes=5) + timedelta(hours=24, seconds=1)
    assert decided(book, scored("r1", root_id="root"), at=late).events == []
    assert decided(book, scored("r2", root_id="root"), reopening=None).events == []
    assert book.get(ROOT_ID) is None


def test_the_flapping_guard_keeps_it_open_without_a_page() -> None:
    book = resolved_book()
    at = T0 + timedelta(minutes=10)
    for n in (1, 2):
        applied = decided(book, scored(f"r{n}", root_id="root"), at=at)
        assert applied.paged
        book.resolve(incident_id=ROOT_ID, now=at)
        at += timedelta(minutes=10)
    applied = decided(book, scored("r3", root_id="root"), at=at)
    assert not applied.paged
    (event,) = applied.events
    assert (event.type, event.note) == (IncidentEventType.REOPENED, FLAPPING)
    inc = book.get(ROOT_ID)
    assert inc is not None
    assert inc.kept_open
    # Kept open: the quiet thread does not auto-resolve, so it cannot flap again.
    assert book.cooled(now=at + timedelta(days=1), quiet_for=lambda _: timedelta(minutes=1)) == []
    book.resolve(incident_id=ROOT_ID, now=at)  # a human may still resolve it
    assert book.get(ROOT_ID) is None


def test_reopenings_older_than_an_hour_no_longer_count_as_flapping() -> None:
    book = resolved_book()
    at = T0 + timedelta(minutes=10)
    for n in (1, 2, 3):
        assert decided(book, scored(f"r{n}", root_id="root"), at=at).paged
        book.resolve(incident_id=ROOT_ID, now=at)
        at += timedelta(minutes=40)


def test_a_resolved_incident_reopens_after_a_restart_until_forgotten() -> None:
    book = resolved_book()
    saved = [Incident.model_validate_json(i.model_dump_json()) for i in book.take_dirty()]
    restored = IncidentBook(saved, resolved=[ROOT_ID])
    assert decided(restored, scored("root"), at=T0 + timedelta(hours=1)).events == []  # counted
    forgetful = IncidentBook(saved, resolved=[ROOT_ID])
    forgetful.forget_closed(before=T0 + timedelta(hours=1))
    assert decided(forgetful, scored("r1", root_id="root"), at=T0 + timedelta(hours=1)).events == []
    applied = decided(restored, scored("r1", root_id="root"), at=T0 + timedelta(hours=1))
    assert applied.paged
    assert applied.events[0].type is IncidentEventType.REOPENED
