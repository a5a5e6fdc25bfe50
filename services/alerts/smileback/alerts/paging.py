"""Who a page goes to and through what: outbox items for one escalation level, the
acknowledge/resolve follow-ups for every target a trigger reached, and the notice to a
previous owner that their incident was taken over. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from smileback.alerts.digest import DigestRule
from smileback.alerts.incidents import Incident
from smileback.alerts.notifiers import Notification, NotificationKind, ResponderRef
from smileback.alerts.outbox.item import OutboxItem
from smileback.alerts.policy import Policy
from smileback.common.errors import ConfigError
from smileback.common.events import ResponderAction
from smileback.common.oncall import (
    EscalationLevel,
    EscalationPolicy,
    OnCallConfig,
    Responder,
    on_call_at,
)

__all__ = [
    "TAKE_OVER_NOTIFIERS",
    "Paging",
    "PlannedPage",
    "TakeOver",
    "plan_follow_ups",
    "plan_level",
    "plan_take_over",
]

# The channels that reach one person; never PagerDuty: a take-over wakes nobody.
TAKE_OVER_NOTIFIERS = ("slack", "email", "webhook", "console")


@dataclass(frozen=True)
class PlannedPage:
    """The items one level fires, and who it is for."""

    items: list[OutboxItem]
    responders: list[ResponderRef]

    @property
    def paged(self) -> list[str]:
        """The responders' ids, for the event's `paged`."""
        return [r.id for r in self.responders]


@dataclass(frozen=True)
class Paging:
    """The configuration paging needs, checked once at start."""

    policy: Policy
    oncall: OnCallConfig
    notifiers: frozenset[str]
    link_base: str | None = None
    digest: DigestRule | None = None  # the smile-back queue's service level; None: no digest

    def __post_init__(self) -> None:
        for name in sorted(self.policy.escalation_policy_names()):
            if name not in self.oncall.escalation_policies:
                raise ConfigError(
                    f"the policy uses escalation policy {name!r}, which is not defined"
                )
        for name, esc in self.oncall.escalation_policies.items():
            for i, level in enumerate(esc.levels, start=1):
                missing = sorted(set(level.notify) - self.notifiers)
                if missing:
                    raise ConfigError(
                        f"escalation policy {name!r} level {i} notifies {', '.join(missing)},"
                        " which is not configured (see the SMILEBACK_* notifier settings)"
                    )

    def escalation_for(self, brand: str) -> tuple[str, EscalationPolicy]:
        """The name and escalation policy a brand pages along."""
        name = self.policy.for_brand(brand).escalation_policy
        return name, self.oncall.escalation_policies[name]

    def responder(self, responder_id: str | None) -> ResponderRef | None:
        """The on-call file's responder of that id, as the notifiers need it; None for no id
        or one the file does not name."""
        found = self.oncall.responders.get(responder_id) if responder_id else None
        return _ref(found) if found is not None else None

    def link(self, incident_id: str) -> str | None:
        """The incident's deep link into the console, when the API's address is configured."""
        if not self.link_base:
            return None
        return f"{self.link_base.rstrip('/')}/console/incidents/{quote(incident_id, safe='')}"


def plan_level(
    *,
    paging: Paging,
    incident: Incident,
    level: int,
    seq: int,
    now: datetime,
    ingested_at: datetime | None = None,
) -> PlannedPage:
    """Triggers for level index `level` of the incident's escalation policy, as firing `seq`."""
    _, policy = paging.escalation_for(incident.brand)
    spec = policy.levels[level]
    responders = _responders(spec, oncall=paging.oncall, at=now)
    base = _notification(paging, incident, kind=NotificationKind.TRIGGER, now=now)
    base = base.model_copy(update={"level": level + 1, "responders": responders})
    items = []
    for name in spec.notify:
        emails = [r for r in responders if r.email] if name == "email" else []
        for target, recipient in [(f"email:{r.id}", r.email) for r in emails] or [(name, None)]:
            items.append(
                OutboxItem(
                    incident_id=incident.incident_id,
                    target=target,
                    notifier=name,
                    kind=NotificationKind.TRIGGER,
                    step=seq,
                    notification=base.model_copy(update={"recipient": recipient}),
                    ingested_at=ingested_at,
                )
            )
    return PlannedPage(items=items, responders=responders)


def plan_follow_ups(
    *,
    paging: Paging,
    incident: Incident,
    kind: NotificationKind,
    responder: str | None,
    triggered: Iterable[tuple[str, str, str | None]],
    now: datetime,
) -> list[OutboxItem]:
    """One acknowledge or resolve per target a trigger reached: (target, notifier, recipient)."""
    base = _notification(paging, incident, kind=kind, now=now).model_copy(
        update={"responder": responder}
    )
    return [
        OutboxItem(
            incident_id=incident.incident_id,
            target=target,
            notifier=notifier,
            kind=kind,
            step=incident.reopenings,  # one acknowledge and one resolve per generation
            notification=base.model_copy(update={"recipient": recipient}),
        )
        for target, notifier, recipient in triggered
    ]


@dataclass(frozen=True)
class TakeOver:
    """A responder's take-over as the API published it: its event's id and time, the action
    (the new owner and the reason), and the previous owner as the on-call file knows them."""

    event_id: str
    action: ResponderAction
    previous: ResponderRef
    at: datetime


def plan_take_over(
    *,
    paging: Paging,
    incident: Incident,
    take_over: TakeOver,
    earlier: Sequence[tuple[int, Notification]],
) -> list[OutboxItem]:
    """One notice to the previous owner per channel that reaches them (Slack when they have a
    member id to @-mention, email when they have an address, the webhook, the console); none
    when `earlier` (the incident's take-over notices already stored, with their steps)
    answers this event already, as after a redelivery.

    Each take-over is the next step of its incident's `taken_over` rows, so the outbox keeps
    one row per take-over and target, apart from the incident's pages and follow-ups."""
    if any(n.event_id == take_over.event_id for _, n in earlier):
        return []
    step = max((s for s, _ in earlier), default=-1) + 1
    previous = take_over.previous
    base = _notification(paging, incident, kind=NotificationKind.TAKEN_OVER, now=take_over.at)
    base = base.model_copy(
        update={
            "responder": take_over.action.owner,
            "reason": take_over.action.reason,
            "responders": [previous],
            "event_id": take_over.event_id,
        }
    )
    # Slack and email reach the person only through their member id and their address.
    reaches = {"slack": previous.slack, "email": previous.email}
    items = []
    for name in TAKE_OVER_NOTIFIERS:
        if name not in paging.notifiers or (name in reaches and not reaches[name]):
            continue
        email = name == "email"
        items.append(
            OutboxItem(
                incident_id=incident.incident_id,
                # An email's target names its person, as a trigger's does.
                target=f"email:{previous.id}" if email else name,
                notifier=name,
                kind=NotificationKind.TAKEN_OVER,
                step=step,
                notification=base.model_copy(
                    update={"recipient": previous.email if email else None}
                ),
            )
        )
    return items


def _notification(
    paging: Paging, incident: Incident, *, kind: NotificationKind, now: datetime
) -> Notification:
    brand = paging.policy.for_brand(incident.brand)
    return Notification(
        incident_id=incident.incident_id,
        reopenings=incident.reopenings,
        kind=kind,
        brand=incident.brand,
        rule=incident.rule,
        severity=incident.severity,
        pagerduty_severity=brand.pagerduty_severity[incident.severity],
        summary=incident.summary,
        packet=incident.packet,
        link=paging.link(incident.incident_id),
        at=now,
    )


def _responders(
    level: EscalationLevel, *, oncall: OnCallConfig, at: datetime
) -> list[ResponderRef]:
    """Who the level's targets name at `at`, each once (a schedule gap names nobody)."""
    found: dict[str, ResponderRef] = {}
    for target in level.targets:
        if target.schedule is not None:
            responder = on_call_at(schedule=oncall.schedules[target.schedule], at=at)
        else:
            responder = oncall.responders.get(target.user or "")
        if responder is not None:
            found.setdefault(responder.id, _ref(responder))
    return list(found.values())


def _ref(responder: Responder) -> ResponderRef:
    return ResponderRef(
        id=responder.id, name=responder.name, email=responder.email, slack=responder.slack
    )
