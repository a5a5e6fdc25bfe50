"""Alerts-only doubles: an incident and a notification carrying its context packet (the
shared events are built by tests/support/builders.py)."""

from __future__ import annotations

from typing import Any

from smileback.alerts.incidents import Incident, build_packet
from smileback.alerts.notifiers import Notification, NotificationKind, ResponderRef
from smileback.alerts.policy import Action, Decision
from smileback.common.events import Severity
from smileback.common.packet import PostRef
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


HOSTILE = "<!channel> <javascript:alert(1)|click here> &amp; <@U0BOSS> *urgent*"


def hostile_notification(*, url: str | None, text: str = HOSTILE, **extra: Any) -> Notification:
    """A page whose summary, post, author, replies and similar posts all carry `text`, and
    whose post links to `url`: what an attacker controls by posting."""
    n = notification(summary=f"[critical] acme: {text}", **extra)
    assert n.packet is not None
    p = n.packet
    ref = PostRef(mention_id="evil", handle=text, text=text, url=url)
    packet = p.model_copy(
        update={
            "summary": n.summary,
            "who": p.who.model_copy(update={"handle": text, "display_name": text}),
            "what": p.what.model_copy(update={"text": text, "url": url}),
            "why": p.why.model_copy(update={"top_terms": (text,)}),
            "thread": p.thread.model_copy(update={"latest_replies": (ref,)}),
            "similar": p.similar.model_copy(update={"items": (ref,), "count": 1}),
        }
    )
    return n.model_copy(update={"packet": packet})
