"""An acknowledgement from PagerDuty and one from Slack, end to end on the real broker and
PostgreSQL: `smileback alerts` pages a local PagerDuty and Slack, `smileback api` projects
the incidents, takes the signed callbacks and publishes `acknowledged`; the alerts service
then stops escalating and tells PagerDuty `acknowledge` under the same dedup_key."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from smileback.common.events import IncidentEventType, ReachTier, incident_id_for
from tests.support.alerts_live import IncidentsReader, thread_of, wait_for
from tests.support.builders import scored_tiered as scored
from tests.support.channels import (
    pagerduty_headers,
    pagerduty_webhook,
    slack_headers,
    slack_interaction,
)
from tests.support.infra import free_ports, fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.pipeline_env import AUTH, TOKEN
from tests.support.processes import ServiceProcess
from tests.support.receivers import SLACK_OK, Receiver, pagerduty_ok

PD_SECRET = "pd-webhook-secret-integration"
SLACK_SECRET = "slack-signing-secret-integration"
ESCALATE_AFTER_S = 30
ONCALL = f"""\
responders:
  sam: {{name: Sam, slack: U0SAM, pagerduty: PSAM}}
  kim: {{name: Kim, slack: U0KIM, pagerduty: PKIM}}
escalation_policies:
  default:
    levels:
      - targets: [{{user: sam}}]
        notify: [pagerduty, slack]
        escalate_after_minutes: {ESCALATE_AFTER_S / 60}
      - targets: [{{user: kim}}]
        notify: [slack]
"""


def test_acknowledged_in_pagerduty_and_in_slack_stops_escalation_and_tells_pagerduty(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    topics = unique_topics(kafka_bootstrap, stem="chan")
    brands = [f"itest{uuid.uuid4().hex[:8]}" for _ in range(2)]
    ids = [incident_id_for(brand=b, thread_root_id=f"{b}:root") for b in brands]
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text(ONCALL)
    now = datetime.now(UTC)
    thread = []
    for brand in brands:
        root = scored(f"{brand}:root", brand=brand, tier=ReachTier.MACRO, ingested_at=now)
        thread += [root] + [
            scored(f"{brand}:r{i}", brand=brand, root_id=root.id, handle=f"u{i}", ingested_at=now)
            for i in range(8)
        ]
    api_port, alerts_metrics = free_ports(count=2)
    api = f"http://127.0.0.1:{api_port}"

    with (
        fresh_database(postgres_url, prefix="chan_alerts") as alerts_db,
        fresh_database(postgres_url, prefix="chan_api") as api_db,
        Receiver(ok=pagerduty_ok()) as pagerduty,
        Receiver(ok=SLACK_OK) as slack,
    ):
        common = {
            "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SMILEBACK_TOPIC_PREFIX": topics.prefix,
            "SMILEBACK_ONCALL_FILE": str(oncall),
        }
        alerts = ServiceProcess(
            args=["alerts"],
            env={
                **common,
                "SMILEBACK_ALERTS_GROUP": f"alerts-{uuid.uuid4().hex[:8]}",
                "SMILEBACK_ALERTS_DATABASE_URL": alerts_db,
                "SMILEBACK_PAGERDUTY_URL": pagerduty.url,
                "SMILEBACK_PAGERDUTY_ROUTING_KEY": "R0UTINGKEYchannels0123456789",
                "SMILEBACK_SLACK_WEBHOOK_URL": f"{slack.url}/hook",
                "SMILEBACK_ALERTS_TICK_S": "0.2",
                "SMILEBACK_OUTBOX_BACKOFF_S": "0.2",
                "SMILEBACK_METRICS_PORT": str(alerts_metrics),
            },
            log_path=tmp_path / "alerts.log",
        )
        api_process = ServiceProcess(
            args=["api"],
            env={
                **common,
                "SMILEBACK_DATABASE_URL": api_db,
                "SMILEBACK_API_TOKEN": TOKEN,
                "SMILEBACK_API_PORT": str(api_port),
                "SMILEBACK_API_PROJECTOR_GROUP": f"projector-{uuid.uuid4().hex[:8]}",
                "SMILEBACK_PAGERDUTY_WEBHOOK_SECRET": PD_SECRET,
                "SMILEBACK_SLACK_SIGNING_SECRET": SLACK_SECRET,
            },
            log_path=tmp_path / "api.log",
        )
        reader = IncidentsReader(kafka_bootstrap, topics)
        with alerts, api_process:

            def alive() -> bool:
                return alerts.alive() and api_process.alive()

            def tail() -> str:
                return f"alerts:\n{alerts.tail()}\napi:\n{api_process.tail()}"

            def wait(what: str, check) -> None:
                wait_for(what, check, timeout_s=120, alive=alive, tail=tail)

            def stored(incident_id: str) -> dict | None:
                try:
                    r = httpx.get(f"{api}/v1/incidents/{incident_id}", headers=AUTH, timeout=5)
                except httpx.HTTPError:
                    return None
                return r.json() if r.status_code == 200 else None

            produce(kafka_bootstrap, topics.scored, thread_of(thread))
            wait("both incidents paged and stored", lambda: all(stored(i) for i in ids))
            paged_at = time.monotonic()

            body = pagerduty_webhook(
                event_type="incident.acknowledged", incident_key=ids[0], agent="PSAM"
            )
            answer = httpx.post(
                f"{api}/callbacks/pagerduty",
                content=body,
                headers=pagerduty_headers(PD_SECRET, body=body),
                timeout=10,
            )
            assert answer.status_code == 202, answer.text
            click = slack_interaction(
                action_id="smileback_acknowledge",
                incident_id=ids[1],
                user="U0KIM",
                response_url=f"{slack.url}/respond",  # not hooks.slack.com: never called
            )
            answer = httpx.post(
                f"{api}/callbacks/slack",
                content=click,
                headers=slack_headers(SLACK_SECRET, body=click, at=datetime.now(UTC)),
                timeout=10,
            )
            assert answer.status_code == 200, answer.text

            def acked_by() -> list[str | None]:
                return [(stored(i) or {}).get("acknowledged_by") for i in ids]

            assert acked_by() == ["sam", "kim"]

            def pd_actions() -> list[tuple[str, str]]:
                accepted = pagerduty.log.snapshot()[1]
                return [(b["event_action"], b["dedup_key"]) for b in accepted]

            wait(
                "PagerDuty to hear of both acknowledgements",
                lambda: (
                    sorted(a for a in pd_actions() if a[0] == "acknowledge")
                    == sorted(("acknowledge", i) for i in ids)
                ),
            )
            # Past the first level's deadline: without the acknowledgements, both escalate.
            wait(
                "the escalation deadline to pass",
                lambda: time.monotonic() - paged_at > ESCALATE_AFTER_S + 5,
            )
            events = [e for e in reader.poll() if e.incident_id in ids]
            assert alerts.stop() == 0, alerts.tail()
            assert api_process.stop() == 0, api_process.tail()
        reader.close()

    acks = {e.incident_id: e.responder for e in events if e.type is IncidentEventType.ACKNOWLEDGED}
    assert acks == {ids[0]: "sam", ids[1]: "kim"}
    assert [e for e in events if e.type is IncidentEventType.ESCALATED] == []
    triggers = [b for b in pagerduty.log.snapshot()[1] if b["event_action"] == "trigger"]
    assert sorted(b["dedup_key"] for b in triggers) == sorted(ids)
    api_log = (tmp_path / "api.log").read_text()
    assert "slack response_url refused" in api_log
    for secret in (PD_SECRET, SLACK_SECRET, TOKEN):
        assert secret not in api_log
