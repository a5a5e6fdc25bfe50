"""The alerts service end to end in one process: pages, queues, the DLQ, escalation,
acknowledge and resolve, auto-resolve, redaction, surges, and restarts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from smileback.alerts.metrics import OPEN_INCIDENTS
from smileback.alerts.outbox import OutboxRow
from smileback.alerts.service import NOTIFY_STAGE, STAGE
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    QueueName,
    ReachTier,
    ResponderAction,
    Sentiment,
    Severity,
    encode,
    incident_id_for,
)
from smileback.common.oncall import (
    EscalationLevel,
    EscalationPolicy,
    Layer,
    OnCallConfig,
    Responder,
    Schedule,
    Target,
)
from tests.alerts.harness import TOPICS, Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday
ROOT_ID = incident_id_for(brand="acme", thread_root_id="root")
ANA = Responder(id="ana", name="Ana", email="ana@example.com")
BEN = Responder(id="ben", email="ben@example.com")
ONCALL = OnCallConfig(
    responders={"ana": ANA, "ben": BEN},
    schedules={"main": Schedule(layers=(Layer(users=(ANA,), start=date(2025, 1, 6)),))},
    escalation_policies={
        "default": EscalationPolicy(
            levels=(
                EscalationLevel(
                    targets=(Target(schedule="main"),),
                    notify=("webhook",),
                    escalate_after_minutes=5,
                ),
                EscalationLevel(
                    targets=(Target(user="ben"),), notify=("email",), escalate_after_minutes=10
                ),
            ),
            repeat=1,
        )
    },
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def human(kind: IncidentEventType, *, responder: str = "ana", **extra) -> IncidentEvent:
    fields = {
        "event_id": f"{ROOT_ID}:{kind}:test",
        "type": kind,
        "incident_id": ROOT_ID,
        "brand": "acme",
        "thread_root_id": "root",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "at": T0,
        "mention_id": "root",
        "responder": responder,
    }
    return IncidentEvent(**(fields | extra))


def rows(h: Harness) -> list[OutboxRow]:
    with Session(h.engine) as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def good_json() -> bytes:
    return encode(scored("ok-1", tier=ReachTier.MICRO))


BAD_RECORDS = {
    "malformed-json": b'{"id": "x", "text": ',
    "wrong-types": json.dumps({**json.loads(good_json()), "deleted": "perhaps"}).encode(),
    "unknown-field": json.dumps({**json.loads(good_json()), "surprise": 1}).encode(),
    "oversized-text": json.dumps({**json.loads(good_json()), "text": "a" * 10_001}).encode(),
    "invalid-utf8": b'{"id": "x", "text": "\xff\xfe"}',
    "missing-scores": json.dumps({"id": "x", "text": "hi"}).encode(),
    "empty": b"",
}


@pytest.mark.parametrize("name", list(BAD_RECORDS))
def test_bad_scored_record_goes_to_dlq_and_the_stream_goes_on(
    tmp_path: Path, clock: FakeClock, name: str
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(BAD_RECORDS[name], good_json())
    (record,) = h.dlq()
    assert (record.stage, record.raw, record.topic, record.source_id) == (
        STAGE,
        BAD_RECORDS[name],
        TOPICS.scored,
        "root",
    )
    assert record.error
    (item,) = h.queues()
    assert item.mention_id == "ok-1"


def test_bad_incident_event_goes_to_dlq(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.bus.publish(TOPICS.incidents, key="inc_x", value=b'{"type": "acknowledged"}')
    h.feed(encode(scored("root")))
    (record,) = h.dlq()
    assert record.topic == TOPICS.incidents
    assert [e.type for e in h.incidents()] == [IncidentEventType.OPENED, IncidentEventType.PAGED]


def test_a_page_a_triage_and_a_smile_back(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.feed(
        encode(scored("root", ingested_at=T0 - timedelta(seconds=3))),
        encode(scored("small", tier=ReachTier.NANO, root_id="other")),
        encode(
            scored(
                "kind", text="acme you are wonderful", negativity=0.02, sentiment=Sentiment.POSITIVE
            )
        ),
    )
    opened, paged = h.incidents()
    assert (opened.type, paged.type) == (IncidentEventType.OPENED, IncidentEventType.PAGED)
    assert paged.event_id == f"{ROOT_ID}:paged:0"
    assert (paged.level, paged.paged) == (1, [])
    assert paged.packet is not None
    assert paged.packet.who.handle == "loudcustomer"
    assert {(q.mention_id, q.queue) for q in h.queues()} == {
        ("small", QueueName.TRIAGE),
        ("kind", QueueName.SMILE_BACK),
    }
    assert h.sent() == []  # stored first ...
    (row,) = rows(h)
    assert (row.target, row.kind, row.step, row.status) == ("webhook", "trigger", 0, "pending")
    h.deliver()  # ... then sent
    assert h.sent() == [(ROOT_ID, "trigger", 1)]
    assert OPEN_INCIDENTS.labels(severity="critical")._value.get() == 1


def test_a_page_is_stored_before_the_rest_of_its_batch_is_handled(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    seen: list[tuple[list[str], int]] = []  # stored pages and open incidents, at each wake-up
    h.on_outbox_written = lambda: seen.append(
        ([r.incident_id for r in rows(h)], len(h.service.book))
    )
    small = [encode(scored(f"s{i}", tier=ReachTier.NANO, root_id="a")) for i in range(3)]
    h.feed(encode(scored("a")), *small, encode(scored("b")))  # one batch (the harness polls 7)
    page_a, page_b = (incident_id_for(brand="acme", thread_root_id=r) for r in ("a", "b"))
    assert seen == [([page_a], 1), ([page_a, page_b], 2)]
    h.deliver()
    assert h.sent() == [(page_a, "trigger", 1), (page_b, "trigger", 1)]


def test_exactly_one_page_for_a_thread_piling_on(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    replies = [
        encode(
            scored(
                f"r{i}",
                root_id="root",
                handle=f"u{i}",
                velocity=float(i),
                risk=0.9,
                tier=ReachTier.MACRO if i % 5 == 0 else ReachTier.MICRO,
            )
        )
        for i in range(30)
    ]
    h.feed(encode(scored("root")), *replies)
    h.deliver()
    h.deliver()
    assert h.sent() == [(ROOT_ID, "trigger", 1)]
    types = [e.type for e in h.incidents()]
    assert types.count(IncidentEventType.PAGED) == 1
    # 30 replies in the same instant: one `updated`, at the first tick 5 s later.
    assert types.count(IncidentEventType.UPDATED) == 0
    clock.advance(seconds=4)
    h.service.tick()
    assert [e.type for e in h.incidents()].count(IncidentEventType.UPDATED) == 0
    clock.advance(seconds=1)
    h.service.tick()
    h.service.tick()
    updated = [e for e in h.incidents() if e.type is IncidentEventType.UPDATED]
    assert [(e.mention_count, e.mention_id) for e in updated] == [(31, "r29")]


def test_unacknowledged_page_escalates_and_acknowledging_stops_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), oncall=ONCALL)
    h.feed(encode(scored("root")))
    paged = h.incidents()[-1]
    assert (paged.level, paged.paged) == (1, ["ana"])
    clock.advance(minutes=4)
    h.service.tick()
    assert [e.type for e in h.incidents()].count(IncidentEventType.ESCALATED) == 0
    clock.advance(minutes=1)
    h.service.tick()
    h.service.tick()  # a second tick at the same time fires nothing more
    escalated = [e for e in h.incidents() if e.type is IncidentEventType.ESCALATED]
    assert [(e.level, e.paged, e.event_id) for e in escalated] == [
        (2, ["ben"], f"{ROOT_ID}:escalated:1")
    ]
    h.deliver()
    assert [n.recipient for n in h.notifiers["email"].sent] == ["ben@example.com"]
    h.human(human(IncidentEventType.ACKNOWLEDGED, responder="ben"))
    h.human(human(IncidentEventType.ACKNOWLEDGED, responder="ana", event_id="other"))  # too late
    clock.advance(minutes=30)  # without the acknowledgement, levels would fire at 15 and 20
    h.service.tick()
    assert [e.type for e in h.incidents()].count(IncidentEventType.ESCALATED) == 1
    h.deliver()
    assert h.sent("webhook") == [(ROOT_ID, "trigger", 1), (ROOT_ID, "acknowledge", None)]
    assert h.sent("email") == [(ROOT_ID, "trigger", 2), (ROOT_ID, "acknowledge", None)]
    assert {n.responder for n in h.notifiers["email"].sent if n.kind == "acknowledge"} == {"ben"}
    inc = h.service.book.get(ROOT_ID)
    assert inc is not None
    assert inc.owner == "ben"


def test_escalation_repeats_up_to_its_limit(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), oncall=ONCALL)
    h.feed(encode(scored("root")))
    for _ in range(12):
        clock.advance(minutes=5)
        h.service.tick()
    levels = [e.level for e in h.incidents() if e.type is IncidentEventType.ESCALATED]
    assert levels == [2, 1, 2]  # level 2, then the policy once more (repeat: 1), then stop
    assert [(r.target, r.step) for r in rows(h) if r.kind == "trigger"] == [
        ("webhook", 0),
        ("email:ben", 1),
        ("webhook", 2),
        ("email:ben", 3),
    ]


def test_human_resolve_closes_and_follows_up_every_target(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), oncall=ONCALL)
    h.feed(encode(scored("root")))
    h.human(human(IncidentEventType.RESOLVED))
    # A reply that would not page leaves the thread closed (flare-ups: test_service_reopen).
    h.feed(encode(scored("r9", root_id="root", tier=ReachTier.NANO)))
    clock.advance(hours=1)
    h.service.tick()
    h.deliver()
    h.deliver()
    assert h.sent("webhook") == [(ROOT_ID, "trigger", 1), (ROOT_ID, "resolve", None)]
    assert h.sent("email") == []  # never escalated that far
    assert [e.type for e in h.incidents() if e.responder is None] == [
        IncidentEventType.OPENED,
        IncidentEventType.PAGED,
    ]


def test_a_thread_that_goes_quiet_resolves_itself(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root")))
    clock.advance(minutes=30)
    h.feed(encode(scored("r1", root_id="root", tier=ReachTier.NANO)))
    clock.advance(minutes=59)
    h.service.tick()
    assert IncidentEventType.RESOLVED not in [e.type for e in h.incidents()]
    clock.advance(minutes=1)
    h.service.tick()
    resolved = h.incidents()[-1]
    assert (resolved.type, resolved.event_id) == (
        IncidentEventType.RESOLVED,
        f"{ROOT_ID}:resolved:quiet",
    )
    assert "quiet" in (resolved.responder or "")
    h.pump()  # our own event comes back on the incidents topic: nothing happens twice
    h.deliver()
    h.deliver()
    assert h.sent() == [(ROOT_ID, "trigger", 1), (ROOT_ID, "resolve", None)]


def test_restart_between_trigger_and_delivery_delivers_exactly_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock, notifiers=("webhook", "email"), oncall=ONCALL)
    h.feed(encode(scored("root")))
    h.restart()  # nothing delivered yet; the consumer group resumes after its commit
    h.bus.publish(TOPICS.scored, key="root", value=encode(scored("root")))  # a redelivery
    h.pump()
    h.deliver()
    h.deliver()
    assert h.sent() == [(ROOT_ID, "trigger", 1)]
    assert len(rows(h)) == 1
    # The escalation timer survived the restart too: level 2 fires once, on time.
    clock.advance(minutes=5)
    h.restart()
    h.service.tick()
    h.restart()
    h.service.tick()
    assert [e.level for e in h.incidents() if e.type is IncidentEventType.ESCALATED] == [2]
    assert [(r.target, r.step) for r in rows(h)] == [("webhook", 0), ("email:ben", 1)]


def test_deleted_post_is_redacted_in_the_incident_and_stored_pages(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root", text="secret rant about acme", handle="ranter")))
    h.deliver()
    h.feed(encode(scored("root", deleted=True, text="")))
    redaction = h.incidents()[-1]
    assert redaction.event_id == f"{ROOT_ID}:redacted:root"
    assert "secret rant" not in redaction.model_dump_json()
    assert all("secret rant" not in r.payload and "ranter" not in r.payload for r in rows(h))
    h.restart()
    inc = h.service.book.get(ROOT_ID)
    assert inc is not None
    assert "secret rant" not in inc.model_dump_json()


def test_redaction_reaches_resolved_incidents_in_the_database(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root", text="secret rant about acme")))
    h.human(human(IncidentEventType.RESOLVED))
    h.feed(encode(scored("root", deleted=True, text="")))
    from smileback.alerts.outbox import IncidentStateRow

    with Session(h.engine) as session:
        (state,) = session.scalars(select(IncidentStateRow.state))
    assert "secret rant" not in state


def test_surge_pages_once_per_window_but_not_for_an_explained_pile_on(
    tmp_path: Path, clock: FakeClock
) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root", created_at=T0)))
    # 25 negative replies in the paged thread: the scorer's brand count rises with them,
    # but they are the paged thread's, not a surge.
    h.feed(
        *[
            encode(
                scored(f"r{i}", root_id="root", tier=ReachTier.NANO, created_at=T0, brand_now=i + 2)
            )
            for i in range(25)
        ]
    )
    # A small complaint elsewhere: 27 negatives this hour, but only one outside the thread.
    h.feed(
        encode(
            scored("elsewhere", tier=ReachTier.NANO, created_at=T0, brand_now=27, brand_baseline=1)
        ),
        key="elsewhere",
    )
    assert {e.incident_id for e in h.incidents()} == {ROOT_ID}
    # Then twenty-five unrelated complaints: a real surge, one incident for the window.
    h.feed(
        *[
            encode(
                scored(
                    f"s{i}", tier=ReachTier.NANO, created_at=T0, brand_now=28 + i, brand_baseline=1
                )
            )
            for i in range(25)
        ],
        key="surge",
    )
    surge = {e.incident_id for e in h.incidents()} - {ROOT_ID}
    assert len(surge) == 1
    paged = [
        e for e in h.incidents() if e.type is IncidentEventType.PAGED and e.incident_id in surge
    ]
    assert len(paged) == 1
    assert paged[0].rule == "brand_surge"
    assert paged[0].thread_root_id == "surge:2025-03-03T12:00:00+00:00"


def test_dead_letters_are_reported_to_the_dlq_once(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.notifiers["webhook"].fail_times, h.notifiers["webhook"].permanent = 1, True
    labels = {"stage": NOTIFY_STAGE, "reason": "delivery"}
    before = REGISTRY.get_sample_value("smileback_dlq_records_total", labels) or 0.0
    h.feed(encode(scored("root")))
    h.deliver()
    h.service.tick()
    h.service.tick()
    (record,) = h.dlq()
    assert REGISTRY.get_sample_value("smileback_dlq_records_total", labels) == before + 1
    assert record.stage == NOTIFY_STAGE
    assert record.source_id == ROOT_ID
    assert record.error == "webhook: webhook told to fail"
    assert json.loads(record.raw)["incident_id"] == ROOT_ID


def test_assignment_from_the_api_sets_the_owner(tmp_path: Path, clock: FakeClock) -> None:
    h = Harness(tmp_path, clock)
    h.feed(encode(scored("root")))
    h.human(human(IncidentEventType.UPDATED, responder="lead", owner="cat"))
    inc = h.service.book.get(ROOT_ID)
    assert inc is not None
    assert inc.owner == "cat"
    # The API's form: an `updated` event whose action names the owner; a note changes nothing.
    assign = ResponderAction(kind="assign", owner="dan")
    h.human(human(IncidentEventType.UPDATED, responder="lead", event_id="a2", action=assign))
    note = ResponderAction(kind="note", note="called them")
    h.human(human(IncidentEventType.UPDATED, responder="lead", event_id="n1", action=note))
    inc = h.service.book.get(ROOT_ID)
    assert inc is not None
    assert inc.owner == "dan"
    # A version-1 record still on the topic: the action was in `context`.
    v1 = human(IncidentEventType.UPDATED, responder="lead", event_id="a3").model_dump(mode="json")
    v1 = {k: v for k, v in v1.items() if k not in ("packet", "action", "owner", "paged")}
    v1 |= {"schema_version": 1, "context": {"action": "assign", "owner": "eve"}}
    h.bus.publish(TOPICS.incidents, key=ROOT_ID, value=json.dumps(v1).encode())
    h.pump()
    inc = h.service.book.get(ROOT_ID)
    assert inc is not None
    assert inc.owner == "eve"
