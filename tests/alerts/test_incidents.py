"""Incident grouping: one page per thread unless severity rises; redaction of deleted posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.incidents import MAX_SUMMARY_CHARS, IncidentBook, summarize
from smileback.alerts.policy import (
    RULE_LARGE_AUDIENCE_COMPLAINT,
    Action,
    Decision,
    PolicyConfig,
    classify,
)
from smileback.common.events import (
    IncidentEventType,
    ReachTier,
    Severity,
    incident_id_for,
)
from tests.alerts.factory import scored

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = PolicyConfig()
PAGE_CRITICAL = Decision(
    Action.PAGE, rule=RULE_LARGE_AUDIENCE_COMPLAINT, severity=Severity.CRITICAL
)
PAGE_WARNING = Decision(Action.PAGE, rule="pile_on", severity=Severity.WARNING)
TRIAGE = Decision(Action.TRIAGE, rule="negative")


def decided(book: IncidentBook, mention, *, at=T0):
    return book.apply(mention=mention, decision=classify(mention=mention, config=CONFIG), now=at)


def test_page_opens_and_pages_with_deterministic_ids() -> None:
    book = IncidentBook()
    events = decided(book, scored("root", velocity=1.5))
    incident_id = incident_id_for(brand="acme", thread_root_id="root")
    assert [e.type for e in events] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    assert [e.event_id for e in events] == [
        f"{incident_id}:opened:root",
        f"{incident_id}:paged:root",
    ]
    paged = events[1]
    assert paged.incident_id == incident_id
    assert paged.rule == RULE_LARGE_AUDIENCE_COMPLAINT
    assert paged.severity is Severity.CRITICAL
    assert paged.at == T0
    assert paged.mention_count == 1
    assert paged.peak_velocity == 1.5
    assert paged.context["author_handle"] == "loudcustomer"
    assert paged.context["followers"] == 250_000
    assert paged.context["reach_tier"] == "macro"
    assert paged.context["explanation"] == ["lost", "worst"]


def test_non_page_decisions_open_nothing() -> None:
    book = IncidentBook()
    assert decided(book, scored("a", tier=ReachTier.MICRO)) == []
    assert decided(book, scored("b", brand=None)) == []
    assert len(book) == 0


def test_one_page_per_thread_however_many_replies() -> None:
    book = IncidentBook()
    events = decided(book, scored("root"))
    for i in range(30):
        # Replies from big and small accounts alike; some would page on their own.
        tier = ReachTier.MACRO if i % 3 == 0 else ReachTier.MICRO
        reply = scored(f"r{i}", root_id="root", tier=tier, velocity=float(i), handle=f"u{i}")
        events += decided(book, reply, at=T0 + timedelta(seconds=i))
    paged = [e for e in events if e.type is IncidentEventType.PAGED]
    updated = [e for e in events if e.type is IncidentEventType.UPDATED]
    assert len(paged) == 1
    assert len(updated) == 30
    assert updated[-1].mention_count == 31
    assert updated[-1].peak_velocity == 29.0
    assert len({e.event_id for e in events}) == len(events)
    state = book.get(incident_id_for(brand="acme", thread_root_id="root"))
    assert state is not None
    assert state.mention_count == 31


def test_peak_velocity_never_falls() -> None:
    book = IncidentBook()
    decided(book, scored("root", velocity=5.0))
    (event,) = decided(book, scored("r1", root_id="root", velocity=2.0, tier=ReachTier.NANO))
    assert event.peak_velocity == 5.0


def test_redelivered_mention_is_not_counted_twice() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    decided(book, scored("r1", root_id="root"))
    assert decided(book, scored("r1", root_id="root")) == []
    assert decided(book, scored("root")) == []
    state = book.get(incident_id_for(brand="acme", thread_root_id="root"))
    assert state is not None
    assert state.mention_count == 2


def test_higher_severity_pages_again_lower_or_same_does_not() -> None:
    book = IncidentBook()
    opened = book.apply(mention=scored("root"), decision=PAGE_WARNING, now=T0)
    assert [e.type for e in opened] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    assert opened[1].severity is Severity.WARNING

    same = book.apply(mention=scored("r1", root_id="root"), decision=PAGE_WARNING, now=T0)
    assert [e.type for e in same] == [IncidentEventType.UPDATED]

    rises = book.apply(mention=scored("r2", root_id="root"), decision=PAGE_CRITICAL, now=T0)
    assert [e.type for e in rises] == [IncidentEventType.UPDATED, IncidentEventType.PAGED]
    assert all(e.severity is Severity.CRITICAL for e in rises)
    assert rises[1].rule == RULE_LARGE_AUDIENCE_COMPLAINT
    assert rises[1].mention_id == "r2"

    lower = book.apply(mention=scored("r3", root_id="root"), decision=PAGE_WARNING, now=T0)
    again = book.apply(mention=scored("r4", root_id="root"), decision=PAGE_CRITICAL, now=T0)
    assert [e.type for e in lower + again] == [IncidentEventType.UPDATED] * 2
    assert lower[0].severity is Severity.CRITICAL


def test_second_thread_pages_separately() -> None:
    book = IncidentBook()
    first = decided(book, scored("root-a"))
    second = decided(book, scored("root-b"))
    other_brand = decided(book, scored("root-a-globex", brand="globex", root_id="root-a"))
    assert [e.type for e in second] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    ids = {first[0].incident_id, second[0].incident_id, other_brand[0].incident_id}
    assert len(ids) == 3
    assert len(book) == 3


def test_tombstone_redacts_a_mention_of_the_incident() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    decided(book, scored("r1", root_id="root", text="you are all useless", handle="angry"))
    (event,) = decided(book, scored("r1", root_id="root", deleted=True))
    assert event.type is IncidentEventType.UPDATED
    assert event.mention_id == "r1"
    assert event.context == {"redacted": True, "redacted_mention_id": "r1"}
    assert event.event_id.endswith(":redacted:r1")
    # The headline came from the root, which still stands.
    assert "worst support" in event.summary
    # A second tombstone for the same post, and one for a post outside any incident: nothing.
    assert decided(book, scored("r1", root_id="root", deleted=True)) == []
    assert decided(book, scored("elsewhere", deleted=True)) == []
    state = book.get(event.incident_id)
    assert state is not None
    assert state.redacted_mention_ids == frozenset({"r1"})


def test_tombstone_of_the_headline_redacts_the_summary() -> None:
    book = IncidentBook()
    decided(book, scored("root", text="secret rant about acme"))
    (event,) = decided(book, scored("root", deleted=True, text=""))
    assert "secret rant" not in event.summary
    assert "redacted" in event.summary
    state = book.get(event.incident_id)
    assert state is not None
    assert "secret rant" not in state.summary


def test_summary_fits_pagerduty_with_huge_text_and_handle() -> None:
    mention = scored("m1", text="x" * 10_000, handle="h" * 5_000)
    summary = summarize(mention=mention, severity=Severity.CRITICAL)
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert "\n" not in summary
    (_, paged) = decided(IncidentBook(), mention)
    assert len(paged.summary) <= MAX_SUMMARY_CHARS


def test_summary_says_who_what_and_why() -> None:
    summary = summarize(
        mention=scored("m1", text="Lost my\norder   again", negativity=0.93),
        severity=Severity.CRITICAL,
    )
    assert summary == (
        '[critical] acme: @loudcustomer (250,000 followers, verified): "Lost my order again" '
        "- negativity 0.93, reach macro"
    )
