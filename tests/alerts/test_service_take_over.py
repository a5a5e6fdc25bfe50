"""A take-over tells the previous owner, and only them: one notice per channel that reaches
them, never through PagerDuty, once per take-over however often its event is delivered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from smileback.alerts.notifiers import NotificationKind
from smileback.alerts.outbox import OutboxRow
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ResponderAction,
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
from tests.alerts.harness import Harness
from tests.support.builders import incident_event
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday
TAKEN_AT = T0 + timedelta(minutes=7)
INCIDENT = incident_id_for(brand="acme", thread_root_id="root")
NOTIFIERS = ("pagerduty", "slack", "email", "webhook", "console")
ANA = Responder(id="ana", name="Ana", email="ana@example.com", slack="U0ANA")
BEN = Responder(id="ben", name="Ben", email="ben@example.com")  # no Slack account
CAT = Responder(id="cat", name="Cat")  # neither Slack nor email
ONCALL = OnCallConfig(
    responders={"ana": ANA, "ben": BEN, "cat": CAT},
    schedules={"main": Schedule(layers=(Layer(users=(ANA,), start=date(2025, 1, 6)),))},
    escalation_policies={
        "default": EscalationPolicy(
            levels=(EscalationLevel(targets=(Target(schedule="main"),), notify=NOTIFIERS),)
        )
    },
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def h(tmp_path: Path, clock: FakeClock) -> Harness:
    """An incident paged through every channel and acknowledged by Ana, its owner."""
    harness = Harness(tmp_path, clock, notifiers=NOTIFIERS, oncall=ONCALL)
    harness.feed(encode(scored("root")))
    harness.human(incident_event(IncidentEventType.ACKNOWLEDGED, **_ids("ack"), responder="ana"))
    deliver_all(harness)
    return harness


def deliver_all(h: Harness) -> None:
    """Send until nothing is left: rows of one target go one at a time, in order."""
    while h.sender.run_once().delivered:
        pass


def _ids(name: str) -> dict[str, str]:
    return {"incident_id": INCIDENT, "thread_root_id": "root", "event_id": f"{INCIDENT}:{name}"}


def take_over(
    *, owner: str, previous: str, reason: str = "I know this customer", name: str = "t1"
) -> IncidentEvent:
    """The API's take-over event: `owner` took the incident from `previous`."""
    action = ResponderAction(kind="take_over", owner=owner, previous_owner=previous, reason=reason)
    return incident_event(
        IncidentEventType.UPDATED, **_ids(name), at=TAKEN_AT, responder=owner, action=action
    )


def taken_over_rows(h: Harness) -> list[tuple[str, str, int]]:
    with Session(h.engine) as session:
        rows = session.scalars(
            select(OutboxRow)
            .where(OutboxRow.kind == str(NotificationKind.TAKEN_OVER))
            .order_by(OutboxRow.id)
        )
        return [(r.target, r.notifier, r.step) for r in rows]


def notices(h: Harness, name: str) -> list[tuple[str | None, list[str], str | None]]:
    """(new owner, who it was for, recipient) of each take-over notice `name` delivered."""
    return [
        (n.responder, [r.id for r in n.responders], n.recipient)
        for n in h.notifiers[name].sent
        if n.kind is NotificationKind.TAKEN_OVER
    ]


def test_the_previous_owner_is_told_once_per_channel_and_never_paged(h: Harness) -> None:
    pages = len(h.notifiers["pagerduty"].sent)
    h.human(take_over(owner="ben", previous="ana"))
    inc = h.service.book.get(INCIDENT)
    assert inc is not None
    assert inc.owner == "ben"
    assert taken_over_rows(h) == [
        ("slack", "slack", 0),
        ("email:ana", "email", 0),
        ("webhook", "webhook", 0),
        ("console", "console", 0),
    ]
    deliver_all(h)
    assert notices(h, "slack") == [("ben", ["ana"], None)]
    assert notices(h, "email") == [("ben", ["ana"], "ana@example.com")]
    assert notices(h, "webhook") == [("ben", ["ana"], None)]
    assert notices(h, "console") == [("ben", ["ana"], None)]
    (notice,) = [n for n in h.notifiers["webhook"].sent if n.kind is NotificationKind.TAKEN_OVER]
    assert (notice.reason, notice.event_id, notice.at) == (
        "I know this customer",
        f"{INCIDENT}:t1",
        TAKEN_AT,  # the take-over's own time: every redelivery plans the same notice
    )
    assert notice.summary.startswith("[critical] acme:")  # the incident's headline
    assert len(h.notifiers["pagerduty"].sent) == pages  # a take-over wakes nobody


def test_a_redelivered_take_over_is_not_told_twice(h: Harness) -> None:
    event = take_over(owner="ben", previous="ana")
    h.human(event)
    deliver_all(h)
    h.human(event)  # the same record again, in this process
    h.restart()  # and after a crash, from a fresh book and consumer
    h.human(event)
    deliver_all(h)
    assert len(taken_over_rows(h)) == 4
    assert len(notices(h, "webhook")) == 1
    assert len(notices(h, "email")) == 1


def test_each_take_over_tells_its_own_previous_owner(h: Harness) -> None:
    h.human(take_over(owner="ben", previous="ana", name="t1"))
    h.human(take_over(owner="ana", previous="ben", reason="back from lunch", name="t2"))
    # Ben has no Slack account: no Slack notice reaches him, so none is stored.
    assert taken_over_rows(h)[4:] == [
        ("email:ben", "email", 1),
        ("webhook", "webhook", 1),
        ("console", "console", 1),
    ]
    deliver_all(h)
    assert notices(h, "email") == [
        ("ben", ["ana"], "ana@example.com"),
        ("ana", ["ben"], "ben@example.com"),
    ]
    assert [n.reason for n in h.notifiers["webhook"].sent if n.kind == "taken_over"] == [
        "I know this customer",
        "back from lunch",
    ]


def test_a_previous_owner_with_no_address_gets_only_the_team_channels(h: Harness) -> None:
    h.human(take_over(owner="cat", previous="ana", name="t1"))
    h.human(take_over(owner="ben", previous="cat", name="t2"))
    assert [row for row in taken_over_rows(h) if row[2] == 1] == [
        ("webhook", "webhook", 1),
        ("console", "console", 1),
    ]


def test_nobody_is_told_when_the_previous_owner_is_unknown_or_there_was_none(
    h: Harness,
) -> None:
    h.human(take_over(owner="ben", previous="zed"))  # not in the on-call file
    assign = ResponderAction(kind="assign", owner="cat")
    h.human(incident_event(IncidentEventType.UPDATED, **_ids("a1"), responder="ben", action=assign))
    inc = h.service.book.get(INCIDENT)
    assert inc is not None
    assert inc.owner == "cat"  # the owner is still recorded
    assert taken_over_rows(h) == []
