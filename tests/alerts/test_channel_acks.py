"""Whichever channel claimed or resolved an incident (the console, Slack, PagerDuty), the
API publishes the same `acknowledged`/`resolved` event, and PagerDuty is told with Events
v2 `acknowledge`/`resolve` under the trigger's dedup_key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smileback.alerts.notifiers.pagerduty import pagerduty_event
from smileback.common.events import IncidentEvent, IncidentEventType, Severity, encode
from tests.alerts.harness import Harness
from tests.support.builders import scored_tiered as scored
from tests.support.clock import FakeClock


def _from_the_api(paged: IncidentEvent, kind: IncidentEventType, responder: str) -> IncidentEvent:
    return paged.model_copy(
        update={
            "event_id": f"{paged.incident_id}:{kind}:click",
            "type": kind,
            "responder": responder,
            "level": None,
            "severity": Severity.CRITICAL,
        }
    )


def test_pagerduty_hears_of_an_acknowledgement_and_a_resolve_made_elsewhere(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))
    h = Harness(tmp_path, clock, notifiers=("pagerduty", "slack"))
    h.feed(encode(scored("root")))
    (paged,) = [e for e in h.incidents() if e.type is IncidentEventType.PAGED]
    h.deliver()
    h.human(_from_the_api(paged, IncidentEventType.ACKNOWLEDGED, "sam"))
    h.deliver()
    h.human(_from_the_api(paged, IncidentEventType.RESOLVED, "sam"))
    h.deliver()
    sent = h.notifiers["pagerduty"].sent
    bodies = [pagerduty_event(notification=n, routing_key="key") for n in sent]
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in bodies} == {paged.incident_id}
    assert [n.responder for n in sent[1:]] == ["sam", "sam"]
    assert h.sent("slack") == [
        (paged.incident_id, "trigger", 1),
        (paged.incident_id, "acknowledge", None),
        (paged.incident_id, "resolve", None),
    ]
