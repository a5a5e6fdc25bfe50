"""Incident grouping: one incident per thread (or surge window), paged once unless severity
rises; acknowledge, assign, resolve, auto-resolve; redaction; state that survives restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.escalation import EscalationState
from smileback.alerts.incidents import Incident, IncidentBook, surge_root_id
from smileback.alerts.policy import (
    RULE_BRAND_SURGE,
    RULE_LARGE_AUDIENCE_COMPLAINT,
    Action,
    BrandPolicy,
    Decision,
    classify,
)
from smileback.common.events import IncidentEventType, ReachTier, Severity, incident_id_for
from smileback.common.incident_status import IncidentStatus
from smileback.common.packet import PostRef
from tests.support.builders import scored_tiered as scored

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = BrandPolicy()
PAGE_CRITICAL = Decision(
    Action.PAGE, rule=RULE_LARGE_AUDIENCE_COMPLAINT, severity=Severity.CRITICAL
)
PAGE_WARNING = Decision(Action.PAGE, rule="pile_on", severity=Severity.WARNING)
SURGE = Decision(Action.PAGE, rule=RULE_BRAND_SURGE, severity=Severity.WARNING, reason="surge")
ROOT_ID = incident_id_for(brand="acme", thread_root_id="root")


def decided(book: IncidentBook, mention, *, at=T0):
    return book.apply(mention=mention, decision=classify(mention=mention, policy=POLICY), now=at)


def test_page_opens_with_deterministic_ids_and_a_packet() -> None:
    book = IncidentBook()
    applied = decided(book, scored("root", velocity=1.5))
    assert applied.paged
    (event,) = applied.events
    assert event.type is IncidentEventType.OPENED
    assert event.event_id == f"{ROOT_ID}:opened:root"
    assert event.incident_id == ROOT_ID
    assert event.rule == RULE_LARGE_AUDIENCE_COMPLAINT
    assert event.severity is Severity.CRITICAL
    assert (event.at, event.mention_count, event.peak_velocity) == (T0, 1, 1.5)
    assert event.packet is not None
    assert event.packet.who.handle == "loudcustomer"
    assert event.packet.why.reach_tier is ReachTier.MACRO
    assert event.summary.startswith("[critical] acme: large-audience complaint")


def test_non_page_decisions_open_nothing() -> None:
    book = IncidentBook()
    assert decided(book, scored("a", tier=ReachTier.MICRO)).events == []
    assert decided(book, scored("b", brand=None)).events == []
    assert len(book) == 0


def test_one_page_per_thread_however_many_replies() -> None:
    book = IncidentBook()
    applied = [decided(book, scored("root"))]
    for i in range(30):
        tier = ReachTier.MACRO if i % 3 == 0 else ReachTier.MICRO
        reply = scored(f"r{i}", root_id="root", tier=tier, velocity=float(i), handle=f"u{i}")
        applied.append(decided(book, reply, at=T0 + timedelta(seconds=i)))
    assert sum(a.paged for a in applied) == 1
    events = [e for a in applied for e in a.events]
    # Opened at T0, then one update per 5 s, each with the count so far.
    updates = [e for e in events if e.type is IncidentEventType.UPDATED]
    assert [(e.mention_id, e.mention_count) for e in updates] == [
        ("r5", 7),
        ("r10", 12),
        ("r15", 17),
        ("r20", 22),
        ("r25", 27),
    ]
    assert book.due_updates(now=T0 + timedelta(seconds=29)) == []  # 4 s since r25's
    (last,) = book.due_updates(now=T0 + timedelta(seconds=30))
    assert (last.event_id, last.mention_count, last.peak_velocity) == (
        f"{ROOT_ID}:updated:r29",
        31,
        29.0,
    )
    assert book.due_updates(now=T0 + timedelta(minutes=1)) == []  # announced once
    assert len({e.event_id for e in [*events, last]}) == len(events) + 1
    inc = book.get(ROOT_ID)
    assert inc is not None
    assert inc.last_activity_at == T0 + timedelta(seconds=29)
    assert [r.mention_id for r in inc.latest] == [f"r{i}" for i in range(25, 30)]
    assert inc.packet is not None
    assert inc.packet.thread.reply_count == 30
    assert inc.packet.thread.latest_replies[0].mention_id == "r29"
    assert inc.packet.why.peak_velocity == 29.0


def test_redelivered_mention_is_not_counted_twice() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    decided(book, scored("r1", root_id="root"))
    assert decided(book, scored("r1", root_id="root")).events == []
    assert decided(book, scored("root")).events == []
    inc = book.get(ROOT_ID)
    assert inc is not None
    assert (inc.mention_count, inc.recent_ids) == (2, ["root", "r1"])


def test_higher_severity_pages_again_lower_or_same_does_not() -> None:
    book = IncidentBook()
    assert book.apply(mention=scored("root"), decision=PAGE_WARNING, now=T0).paged
    same = book.apply(mention=scored("r1", root_id="root"), decision=PAGE_WARNING, now=T0)
    assert not same.paged
    rises = book.apply(mention=scored("r2", root_id="root"), decision=PAGE_CRITICAL, now=T0)
    assert rises.paged
    assert [e.type for e in rises.events] == [IncidentEventType.UPDATED]
    assert rises.events[0].severity is Severity.CRITICAL
    assert rises.events[0].rule == RULE_LARGE_AUDIENCE_COMPLAINT
    lower = book.apply(mention=scored("r3", root_id="root"), decision=PAGE_WARNING, now=T0)
    again = book.apply(mention=scored("r4", root_id="root"), decision=PAGE_CRITICAL, now=T0)
    assert not lower.paged
    assert not again.paged


def test_surges_group_per_brand_and_window() -> None:
    book = IncidentBook()
    window = timedelta(hours=1)
    at = datetime(2025, 3, 1, 12, 10, tzinfo=UTC)
    first = book.apply(
        mention=scored("s1", root_id=None, created_at=at),
        decision=SURGE,
        now=at,
        surge_window=window,
    )
    second = book.apply(
        mention=scored("s2", created_at=at + timedelta(minutes=20)),
        decision=SURGE,
        now=at,
        surge_window=window,
    )
    later = book.apply(
        mention=scored("s3", created_at=at + timedelta(hours=1)),
        decision=SURGE,
        now=at,
        surge_window=window,
    )
    assert first.paged
    assert not second.paged
    assert later.paged
    assert first.incident is not None
    assert later.incident is not None
    assert first.incident.thread_root_id == "surge:2025-03-01T12:00:00+00:00"
    assert second.incident is not None
    assert second.incident.incident_id == first.incident.incident_id
    assert second.events == []  # within 5 s of the opening: announced by the next update
    assert later.incident.incident_id != first.incident.incident_id
    assert surge_root_id(at=at, window=window) == first.incident.thread_root_id


def test_a_thread_with_an_incident_keeps_its_mentions_even_in_a_surge() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    applied = book.apply(mention=scored("r1", root_id="root"), decision=SURGE, now=T0)
    assert applied.incident is not None
    assert applied.incident.incident_id == ROOT_ID
    assert not applied.paged


def test_open_roots_are_the_brands_open_threads() -> None:
    book = IncidentBook()
    assert book.open_roots(brand="acme") == set()
    decided(book, scored("root"))
    decided(book, scored("other", brand="globex"))
    book.apply(mention=scored("s1", created_at=T0), decision=SURGE, now=T0)
    assert book.open_roots(brand="acme") == {"root"}  # the surge has no thread
    book.apply(mention=scored("warm"), decision=PAGE_WARNING, now=T0)
    assert book.open_roots(brand="acme") == {"root", "warm"}
    critical_surge = Decision(Action.PAGE, rule=RULE_BRAND_SURGE, severity=Severity.CRITICAL)
    book.apply(mention=scored("w1", root_id="warm"), decision=critical_surge, now=T0)
    assert book.open_roots(brand="acme") == {"root"}  # the thread's incident is a surge's now
    book.resolve(incident_id=ROOT_ID, now=T0)
    assert book.open_roots(brand="acme") == set()


def test_first_acknowledgement_claims_the_thread_and_stops_escalation() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    state = EscalationState(policy="p", seq=0, level=0, round=0, next_at=T0 + timedelta(minutes=5))
    book.set_escalation(incident_id=ROOT_ID, state=state)
    assert ROOT_ID in book.escalations()
    inc = book.acknowledge(incident_id=ROOT_ID, responder="ana")
    assert inc is not None
    assert (inc.status, inc.owner) == (IncidentStatus.ACKNOWLEDGED, "ana")
    assert inc.escalation is not None
    assert inc.escalation.next_at is None
    assert book.escalations() == {}
    assert book.acknowledge(incident_id=ROOT_ID, responder="ben") is None  # already claimed
    assert book.acknowledge(incident_id="inc_unknown", responder="ben") is None
    assigned = book.assign(incident_id=ROOT_ID, owner="cat")
    assert assigned is not None
    assert assigned.owner == "cat"


def test_resolved_incident_stays_closed() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    inc = book.resolve(incident_id=ROOT_ID, now=T0)
    assert inc is not None
    assert inc.status is IncidentStatus.RESOLVED
    assert inc.resolved_at == T0
    assert book.resolve(incident_id=ROOT_ID, now=T0) is None
    assert decided(book, scored("r1", root_id="root")).events == []
    assert decided(book, scored("root2", root_id="root")).events == []
    assert len(book) == 0


def test_cooled_threads_are_found_per_brand_quiet_time() -> None:
    book = IncidentBook()
    decided(book, scored("root"), at=T0)
    decided(book, scored("g", brand="globex"), at=T0)
    quiet = {"acme": timedelta(minutes=60), "globex": None}
    assert book.cooled(now=T0 + timedelta(minutes=59), quiet_for=quiet.get) == []
    decided(book, scored("r1", root_id="root"), at=T0 + timedelta(minutes=30))
    assert book.cooled(now=T0 + timedelta(minutes=61), quiet_for=quiet.get) == []
    (cooled,) = book.cooled(now=T0 + timedelta(minutes=90), quiet_for=quiet.get)
    assert cooled.incident_id == ROOT_ID


def test_tombstone_redacts_a_reply_of_the_incident() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    decided(book, scored("r1", root_id="root", text="you are all useless", handle="angry"))
    (event,) = decided(book, scored("r1", root_id="root", deleted=True)).events
    assert event.type is IncidentEventType.UPDATED
    assert event.event_id == f"{ROOT_ID}:redacted:r1"
    assert event.packet is not None
    assert "useless" not in event.packet.model_dump_json()
    assert "angry" not in event.packet.model_dump_json()
    assert event.packet.redacted_mention_ids == ("r1",)
    assert "worst support" in event.summary  # the headline came from the root, which stands
    assert decided(book, scored("r1", root_id="root", deleted=True)).events == []
    assert decided(book, scored("elsewhere", deleted=True)).events == []
    inc = book.get(ROOT_ID)
    assert inc is not None
    assert inc.redacted == {"r1"}


def test_tombstone_of_the_headline_redacts_the_summary_and_packet() -> None:
    book = IncidentBook()
    decided(book, scored("root", text="secret rant about acme"))
    (event,) = decided(book, scored("root", deleted=True, text="")).events
    assert "secret rant" not in event.summary
    assert "redacted" in event.summary
    assert event.packet is not None
    assert "secret rant" not in event.packet.model_dump_json()
    assert event.packet.summary == event.summary


def test_tombstone_of_a_similar_complaint_redacts_the_packet_that_quotes_it() -> None:
    book = IncidentBook()
    similar = [PostRef(mention_id="other-1", handle="@x", text="other thread rant")]
    book.apply(mention=scored("root"), decision=PAGE_CRITICAL, now=T0, similar=lambda: similar)
    (event,) = decided(book, scored("other-1", root_id="other", deleted=True)).events
    assert event.packet is not None
    assert "other thread rant" not in event.packet.model_dump_json()


def test_state_survives_a_restart_through_json() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    decided(book, scored("r1", root_id="root"))
    decided(book, scored("closed"))
    book.resolve(incident_id=incident_id_for(brand="acme", thread_root_id="closed"), now=T0)
    saved = [Incident.model_validate_json(i.model_dump_json()) for i in book.take_dirty()]
    assert book.take_dirty() == []
    restored = IncidentBook(
        [i for i in saved if i.is_open], resolved=[i.incident_id for i in saved if not i.is_open]
    )
    assert decided(restored, scored("r1", root_id="root")).events == []  # already counted
    assert not decided(restored, scored("r2", root_id="root")).paged
    assert decided(restored, scored("again", root_id="closed")).events == []


def test_an_update_held_back_survives_a_restart() -> None:
    book = IncidentBook()
    decided(book, scored("root"))
    assert decided(book, scored("r1", root_id="root"), at=T0 + timedelta(seconds=1)).events == []
    (saved,) = book.take_dirty()
    restored = IncidentBook([Incident.model_validate_json(saved.model_dump_json())])
    (event,) = restored.due_updates(now=T0 + timedelta(seconds=5))
    assert (event.type, event.mention_id, event.mention_count) == (
        IncidentEventType.UPDATED,
        "r1",
        2,
    )


def test_a_severity_rise_is_announced_at_once_even_within_the_interval() -> None:
    book = IncidentBook()
    book.apply(mention=scored("root"), decision=PAGE_WARNING, now=T0)
    held = book.apply(mention=scored("r1", root_id="root"), decision=PAGE_WARNING, now=T0)
    rises = book.apply(mention=scored("r2", root_id="root"), decision=PAGE_CRITICAL, now=T0)
    assert held.events == []
    assert [(e.type, e.mention_count) for e in rises.events] == [(IncidentEventType.UPDATED, 3)]
    assert book.due_updates(now=T0 + timedelta(minutes=1)) == []  # r1 went out with r2
