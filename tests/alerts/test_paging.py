"""Planning pages: who each level names, one target per channel or per email address,
follow-ups to every target a trigger reached, and configuration checked at start."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from smileback.alerts.notifiers import NotificationKind
from smileback.alerts.paging import Paging, plan_follow_ups, plan_level
from smileback.alerts.policy import BrandPolicy, Policy
from smileback.common.errors import ConfigError
from smileback.common.events import Severity
from smileback.common.oncall import (
    EscalationLevel,
    EscalationPolicy,
    Layer,
    OnCallConfig,
    Responder,
    Schedule,
    Target,
    default_oncall,
)
from tests.alerts.factory import incident, notification

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
ANA = Responder(id="ana", name="Ana", email="ana@example.com", slack="U1")
BEN = Responder(id="ben")  # no email
INC = incident(
    incident_id="inc_1",
    rule="pile_on",
    severity=Severity.WARNING,
    packet=notification().packet,
)


def paging(
    *levels: EscalationLevel, notifiers=("webhook", "email", "slack", "pagerduty")
) -> Paging:
    oncall = OnCallConfig(
        responders={"ana": ANA, "ben": BEN},
        schedules={
            "main": Schedule(layers=(Layer(users=(ANA,), start=date(2025, 1, 6)),)),
            "empty": Schedule(),
        },
        escalation_policies={"default": EscalationPolicy(levels=levels)},
    )
    policy = Policy(
        defaults=BrandPolicy.model_validate(
            {"pagerduty_severity": {"critical": "critical", "warning": "error", "info": "info"}}
        )
    )
    return Paging(
        policy=policy, oncall=oncall, notifiers=frozenset(notifiers), link_base="https://c.example/"
    )


def test_a_level_pages_its_responders_through_each_notifier() -> None:
    level = EscalationLevel(
        targets=(Target(schedule="main"), Target(user="ben"), Target(user="ana")),
        notify=("pagerduty", "email", "slack"),
    )
    planned = plan_level(paging=paging(level), incident=INC, level=0, seq=4, now=T0, ingested_at=T0)
    assert [r.id for r in planned.responders] == ["ana", "ben"]  # ana once, though named twice
    assert planned.paged == ["ana", "ben"]
    assert [(i.target, i.notifier, i.step) for i in planned.items] == [
        ("pagerduty", "pagerduty", 4),
        ("email:ana", "email", 4),  # ben has no address
        ("slack", "slack", 4),
    ]
    n = planned.items[1].notification
    assert (n.kind, n.level, n.recipient) == (NotificationKind.TRIGGER, 1, "ana@example.com")
    assert n.pagerduty_severity == "error"
    assert n.link == "https://c.example/console/incidents/inc_1"  # the console's deep link
    assert n.packet == INC.packet  # the page carries the incident's packet whole
    assert all(i.ingested_at == T0 for i in planned.items)


def test_the_link_is_the_consoles_deep_link_with_the_id_as_one_segment() -> None:
    linked = paging(EscalationLevel(targets=(Target(user="ana"),), notify=("webhook",)))
    assert linked.link("inc_1") == "https://c.example/console/incidents/inc_1"
    assert linked.link("a/b?c#d") == "https://c.example/console/incidents/a%2Fb%3Fc%23d"
    assert replace(linked, link_base=None).link("inc_1") is None  # no address configured


def test_a_schedule_gap_still_pages_the_channels_and_the_fallback_address() -> None:
    level = EscalationLevel(targets=(Target(schedule="empty"),), notify=("webhook", "email"))
    planned = plan_level(paging=paging(level), incident=INC, level=0, seq=0, now=T0)
    assert planned.paged == []
    assert [(i.target, i.notification.recipient) for i in planned.items] == [
        ("webhook", None),
        ("email", None),  # SMILEBACK_SMTP_TO takes it
    ]


def test_follow_ups_go_to_every_target_a_trigger_reached() -> None:
    items = plan_follow_ups(
        paging=paging(EscalationLevel(notify=("webhook",))),
        incident=INC,
        kind=NotificationKind.RESOLVE,
        responder="ana",
        triggered=[("webhook", "webhook", None), ("email:ben", "email", "ben@x")],
        now=T0,
    )
    assert [
        (i.target, i.kind, i.step, i.notification.responder, i.notification.recipient)
        for i in items
    ] == [
        ("webhook", NotificationKind.RESOLVE, 0, "ana", None),
        ("email:ben", NotificationKind.RESOLVE, 0, "ana", "ben@x"),
    ]


def test_unconfigured_notifier_or_unknown_policy_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="level 1 notifies pagerduty, which is not configured"):
        paging(EscalationLevel(notify=("pagerduty",)), notifiers=("webhook",))
    with pytest.raises(ConfigError, match="escalation policy 'night'"):
        Paging(
            policy=Policy(defaults=BrandPolicy(escalation_policy="night")),
            oncall=default_oncall(notify=["webhook"]),
            notifiers=frozenset({"webhook"}),
        )
