"""`smileback alerts` as its own process on the real broker and PostgreSQL: a take-over read
from the incidents topic (twice, as a redelivery would bring it) tells the previous owner
once through Slack and the signed webhook, and PagerDuty hears nothing of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ReachTier,
    ResponderAction,
    incident_id_for,
)
from tests.support.alerts_live import alerts_env, thread_of, wait_for
from tests.support.builders import incident_event
from tests.support.builders import scored_tiered as scored
from tests.support.formats import check_slack_message
from tests.support.infra import fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.receivers import SLACK_OK, WEBHOOK_OK, Receiver, pagerduty_ok

HOOK_SECRET = "integration-hook-secret"
ONCALL = """\
responders:
  ana: {name: Ana Lima, email: ana@example.com, slack: U0ANA}
  ben: {name: Ben Ode, email: ben@example.com}
schedules:
  social:
    layers:
      - {users: [ana], start: 2025-01-06, shift: weekly}
escalation_policies:
  default:
    levels:
      - targets: [{schedule: social}]
        notify: [pagerduty, slack, webhook]
        escalate_after_minutes: 60
"""


def test_a_take_over_tells_the_previous_owner_once(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    brand = f"itest{uuid.uuid4().hex[:8]}"
    topics = unique_topics(kafka_bootstrap, stem="alertstk")
    root_id = f"{brand}:root"
    incident_id = incident_id_for(brand=brand, thread_root_id=root_id)
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text(ONCALL)

    def human(
        kind: IncidentEventType, responder: str, action: ResponderAction | None = None
    ) -> IncidentEvent:
        return incident_event(
            kind,
            incident_id=incident_id,
            brand=brand,
            thread_root_id=root_id,
            mention_id=root_id,
            at=datetime.now(UTC),
            responder=responder,
            event_id=f"{incident_id}:{kind}:{uuid.uuid4().hex}",
            action=action,
        )

    reason = "I know them <!channel>"
    take_over = human(
        IncidentEventType.UPDATED,
        "ben",
        action=ResponderAction(kind="take_over", owner="ben", previous_owner="ana", reason=reason),
    )

    with (
        fresh_database(postgres_url, prefix="alerts") as database,
        Receiver(ok=pagerduty_ok(incident_id)) as pagerduty,
        Receiver(ok=SLACK_OK, check=lambda raw, _h: check_slack_message(json.loads(raw))) as slack,
        Receiver(ok=WEBHOOK_OK, secret=HOOK_SECRET) as webhook,
    ):
        env = alerts_env(
            bootstrap=kafka_bootstrap,
            topics=topics,
            database=database,
            pagerduty_url=pagerduty.url,
            SMILEBACK_ONCALL_FILE=str(oncall),
            SMILEBACK_SLACK_WEBHOOK_URL=f"{slack.url}/token",
            SMILEBACK_WEBHOOK_URL=webhook.url,
            SMILEBACK_WEBHOOK_SECRET=HOOK_SECRET,
            SMILEBACK_ALERTS_TICK_S="0.2",
        )
        alerts = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "alerts.log")
        with alerts:

            def wait(what: str, check) -> None:
                wait_for(what, check, timeout_s=120, alive=alerts.alive, tail=alerts.tail)

            def events(receiver: Receiver, key: str = "event") -> list[str]:
                return [str(body.get(key)) for body in receiver.log.snapshot()[1]]

            root = scored(root_id, brand=brand, tier=ReachTier.MACRO)
            produce(kafka_bootstrap, topics.scored, thread_of([root]))
            wait("the pages", lambda: all(r.log.snapshot()[1] for r in (pagerduty, slack, webhook)))
            produce(
                kafka_bootstrap,
                topics.incidents,
                [
                    (incident_id, human(IncidentEventType.ACKNOWLEDGED, "ana")),
                    (incident_id, take_over),
                    (incident_id, take_over),  # delivered again
                    (incident_id, human(IncidentEventType.RESOLVED, "ben")),
                ],
            )
            # Rows of one target go in the order they were stored: once the resolve is in,
            # a second notice of the take-over would have come before it.
            wait("the resolve", lambda: events(webhook)[-1:] == ["resolve"])
            wait("the Slack resolve", lambda: len(slack.log.snapshot()[1]) >= 4)
            wait(
                "PagerDuty's resolve", lambda: events(pagerduty, "event_action")[-1:] == ["resolve"]
            )
            assert alerts.stop() == 0, alerts.tail()

    assert events(webhook) == ["trigger", "acknowledge", "taken_over", "resolve"]
    notice = webhook.log.snapshot()[1][2]
    assert (notice["responder"], notice["reason"]) == ("ben", reason)
    assert [r["id"] for r in notice["responders"]] == ["ana"]
    assert events(pagerduty, "event_action") == ["trigger", "acknowledge", "resolve"]
    slack_texts = [body["text"] for body in slack.log.snapshot()[1]]
    assert len(slack_texts) == 4
    assert slack_texts[2].startswith("<@U0ANA>: *ben* took over")
    assert "&lt;!channel&gt;" in slack_texts[2]
    assert slack.log.snapshot()[2] == []
