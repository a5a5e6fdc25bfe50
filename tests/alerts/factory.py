"""Alerts-only doubles: an incident and a notification carrying its context packet (the
shared events are built by tests/support/builders.py)."""

from __future__ import annotations

from typing import Any

from smileback.alerts.incidents import Incident, build_packet
from smileback.alerts.notifiers import Notification, NotificationKind, ResponderRef
from smileback.alerts.policy import Action, Decision
from smileback.common.events import Severity
from tests.support.builders import T0, scored_tiered


def incident(**extra: Any) -> Incident:
    """An open critical incident of thread "root"; `extra` overrides any field."""
    fields: dict[str, Any] = {
        "incident_id": "inc_abc",
        "brand": "acme",
        "thread_root_id": "root",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "opened_at": T0,
        "last_activity_at": T0,
        "summary": "[critical] acme: @loud (250,000 followers)",
        "summary_mention_id": "root",
        "mention_count": 1,
        "recent_ids": ["root"],
    }
    return Incident(**(fields | extra))


def notification(kind: str = "trigger", **extra: Any) -> Notification:
    """A notification carrying a full context packet, as the outbox stores it."""
    inc = incident()
    mention = scored_tiered("root", handle="@loud", text="Lost my order <again> & again")
    decision = Decision(
        Action.PAGE, rule="large_audience_complaint", severity=Severity.CRITICAL, reason="because"
    )
    packet = build_packet(incident=inc, mention=mention, decision=decision, similar=[], now=T0)
    fields: dict[str, Any] = {
        "incident_id": "inc_abc",
        "kind": NotificationKind(kind),
        "brand": "acme",
        "rule": "large_audience_complaint",
        "severity": Severity.CRITICAL,
        "summary": inc.summary,
        "packet": packet,
        "level": 1 if kind == "trigger" else None,
        "responders": [ResponderRef(id="ana", name="Ana", email="ana@example.com", slack="U1")],
        "at": T0,
    }
    return Notification(**(fields | extra))
