"""`smileback alerts` as its own process on the real broker and PostgreSQL, paging local
receivers that speak PagerDuty Events v2, Slack and a signed webhook and misbehave on purpose
(429, then 500, then a timeout, then accept), and an SMTP server (STARTTLS and a login)
that first says "try later".

Exactly one trigger per incident per target; the unacknowledged page escalates to email;
acknowledge and resolve follow to every target; every payload matches its format; every
retry of a webhook page carries its one `webhook-id`.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ReachTier,
    incident_id_for,
)
from tests.support.alerts_live import (
    ROUTING_KEY,
    IncidentsReader,
    alerts_env,
    scrape,
    thread_of,
    wait_for,
)
from tests.support.builders import incident_event
from tests.support.builders import scored_tiered as scored
from tests.support.formats import check_pagerduty_event, check_slack_message
from tests.support.infra import free_ports, fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.promtool import promtool_problems
from tests.support.receivers import HANG, SLACK_OK, WEBHOOK_OK, Receiver, pagerduty_ok
from tests.support.smtp import Certificate, SmtpSink

HOOK_SECRET = "integration-hook-secret"
SMTP_LOGIN = ("smileback", "smtp-password-not-for-logs")
SLACK_TOKEN = "slack-path-token-not-for-logs"
MISBEHAVE = [429, 500, HANG]

ONCALL = """\
responders:
  ana: {name: Ana Lima, email: ana@example.com, slack: U0ANA}
  ben: {name: Ben Ode, email: ben@example.com}
schedules:
  social:
    time_zone: Europe/Berlin
    layers:
      - {users: [ana], start: 2025-01-06, handoff: "09:00", shift: weekly}
escalation_policies:
  default:
    levels:
      - targets: [{schedule: social}]
        notify: [pagerduty, slack, webhook]
        escalate_after_minutes: 0.05
      - targets: [{user: ben}]
        notify: [email]
        escalate_after_minutes: 60
"""


def human(kind: IncidentEventType, incident_id: str, brand: str, responder: str) -> IncidentEvent:
    """An on-call human's action on the incident, as the api publishes it."""
    return incident_event(
        kind,
        incident_id=incident_id,
        brand=brand,
        thread_root_id=f"{brand}:root",
        mention_id=f"{brand}:root",
        at=datetime.now(UTC),
        responder=responder,
        event_id=f"{incident_id}:{kind}:{uuid.uuid4().hex}",
    )


def kinds(log_accepted: list[dict], key: str) -> list[str]:
    return [str(body.get(key)) for body in log_accepted]


def test_pages_every_target_once_escalates_and_follows_up(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    brand = f"itest{uuid.uuid4().hex[:8]}"
    topics = unique_topics(kafka_bootstrap, stem="alerts")
    incident_id = incident_id_for(brand=brand, thread_root_id=f"{brand}:root")
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text(ONCALL)
    now = datetime.now(UTC)
    root = scored(f"{brand}:root", brand=brand, tier=ReachTier.MACRO, ingested_at=now)
    replies = [
        scored(f"{brand}:r{i}", brand=brand, root_id=root.id, handle=f"u{i}", ingested_at=now)
        for i in range(8)
    ]
    (metrics_port,) = free_ports(count=1)
    certificate = Certificate.make(tmp_path)

    with (
        fresh_database(postgres_url, prefix="alerts") as database,
        Receiver(
            ok=pagerduty_ok(incident_id),
            script=list(MISBEHAVE),
            check=lambda raw, _h: check_pagerduty_event(json.loads(raw), routing_key=ROUTING_KEY),
        ) as pagerduty,
        Receiver(
            ok=SLACK_OK,
            script=list(MISBEHAVE),
            check=lambda raw, _h: check_slack_message(json.loads(raw)),
            retry_after="1",
        ) as slack,
        Receiver(ok=WEBHOOK_OK, script=list(MISBEHAVE), secret=HOOK_SECRET) as webhook,
        SmtpSink(replies=["451 4.3.0 try again later"], tls=certificate, login=SMTP_LOGIN) as smtp,
    ):
        env = alerts_env(
            bootstrap=kafka_bootstrap,
            topics=topics,
            database=database,
            pagerduty_url=pagerduty.url,
            SMILEBACK_ONCALL_FILE=str(oncall),
            SMILEBACK_SLACK_WEBHOOK_URL=f"{slack.url}/{SLACK_TOKEN}",
            SMILEBACK_WEBHOOK_URL=webhook.url,
            SMILEBACK_WEBHOOK_SECRET=HOOK_SECRET,
            SMILEBACK_SMTP_HOST="127.0.0.1",
            SMILEBACK_SMTP_PORT=str(smtp.port),
            SMILEBACK_SMTP_USERNAME=SMTP_LOGIN[0],
            SMILEBACK_SMTP_PASSWORD=SMTP_LOGIN[1],
            SSL_CERT_FILE=str(certificate.cert),  # the SMTP server's, trusted by STARTTLS
            SMILEBACK_NOTIFIER_TIMEOUT_S="1",
            SMILEBACK_WEBHOOK_TIMEOUT_S="1",
            SMILEBACK_OUTBOX_BACKOFF_S="0.2",
            SMILEBACK_OUTBOX_BACKOFF_CAP_S="1",
            SMILEBACK_ALERTS_TICK_S="0.2",
            SMILEBACK_METRICS_PORT=str(metrics_port),
        )
        reader = IncidentsReader(kafka_bootstrap, topics)
        alerts = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "alerts.log")
        with alerts:
            produce(kafka_bootstrap, topics.scored, thread_of([root, *replies]))

            def wait(what: str, check) -> None:
                wait_for(what, check, timeout_s=120, alive=alerts.alive, tail=alerts.tail)

            def accepted(receiver: Receiver) -> list[dict]:
                return receiver.log.snapshot()[1]

            wait("the level-1 pages", lambda: all(accepted(r) for r in (pagerduty, slack, webhook)))
            wait("the level-2 email", lambda: len(smtp.received()) == 1)
            produce(
                kafka_bootstrap,
                topics.incidents,
                [(incident_id, human(IncidentEventType.ACKNOWLEDGED, incident_id, brand, "ben"))],
            )
            wait(
                "acknowledgements",
                lambda: len(accepted(pagerduty)) == 2 and len(smtp.received()) == 2,
            )
            produce(
                kafka_bootstrap,
                topics.incidents,
                [(incident_id, human(IncidentEventType.RESOLVED, incident_id, brand, "ben"))],
            )
            wait(
                "resolutions",
                lambda: (
                    all(len(accepted(r)) == 3 for r in (pagerduty, slack, webhook))
                    and len(smtp.received()) == 3
                ),
            )
            time.sleep(2)  # a duplicate would arrive now
            group = env["SMILEBACK_ALERTS_GROUP"]

            def lag() -> list[float]:
                prefix = f'smileback_consumer_lag_records{{group="{group}",'
                return [v for k, v in scrape(metrics_port).items() if k.startswith(prefix)]

            # Read every 5 s: wait for a reading taken after the last event was consumed.
            wait("no consumer lag", lambda: bool(lag()) and sum(lag()) == 0)
            metrics = scrape(metrics_port)
            body = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            ready = httpx.get(f"http://127.0.0.1:{metrics_port}/readyz", timeout=5).json()
            events = reader.poll()
            assert alerts.stop() == 0, alerts.tail()
        reader.close()
        output = alerts.log_path.read_text()

    # PagerDuty: one trigger, then acknowledge and resolve, on one dedup key, after misbehaving.
    attempts, pd, refused = pagerduty.log.snapshot()
    assert refused == []
    assert [a[0] for a in attempts[:4]] == ["429", "500", HANG, "202"]
    assert kinds(pd, "event_action") == ["trigger", "acknowledge", "resolve"]
    assert {body["dedup_key"] for body in pd} == {incident_id}
    trigger = pd[0]["payload"]
    assert trigger["severity"] == "critical"
    assert trigger["custom_details"]["who"]["followers"] == 250_000
    assert trigger["custom_details"]["responders"] == ["Ana Lima"]
    assert len(trigger["summary"]) <= 1024

    # Slack and the signed webhook: the same story in their own formats.
    assert slack.log.snapshot()[2] == []
    assert [b["blocks"][0]["type"] for b in accepted(slack)] == ["header", "section", "section"]
    assert "<@U0ANA>" in json.dumps(accepted(slack)[0])
    assert kinds(accepted(webhook), "event") == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in accepted(webhook)} == {incident_id}
    hook_ids = webhook.log.webhook_ids
    assert hook_ids[:4] == [hook_ids[0]] * 4  # the trigger and its three retries
    assert len(set(hook_ids)) == 3  # trigger, acknowledge, resolve

    # Email: only level 2 (ben), after one "try again later"; then his ack and the resolve.
    subjects = [m["Subject"] for m in smtp.received()]
    assert subjects[0].startswith("[level 2] [critical]")
    assert subjects[1].startswith("[acknowledged]")
    assert subjects[2].startswith("[resolved]")
    assert {rcpt for _, rcpts in smtp.envelopes for rcpt in rcpts} == {"ben@example.com"}
    assert smtp.over_tls == [True] * 3
    assert set(smtp.logins) == {(SMTP_LOGIN[0], True)}

    ours = [e for e in events if e.responder is None or e.type is IncidentEventType.ESCALATED]
    types = [e.type for e in ours if e.incident_id == incident_id]
    assert types.count(IncidentEventType.OPENED) == 1
    assert types.count(IncidentEventType.PAGED) == 1
    assert [(e.level, e.paged) for e in ours if e.type is IncidentEventType.PAGED] == [(1, ["ana"])]
    assert [(e.level, e.paged) for e in ours if e.type is IncidentEventType.ESCALATED] == [
        (2, ["ben"])
    ]

    delivered = 'smileback_pages_total{kind="trigger",notifier="pagerduty",outcome="delivered"}'
    retried = 'smileback_pages_total{kind="trigger",notifier="pagerduty",outcome="retried"}'
    assert metrics[delivered] == 1
    assert metrics[retried] == 3
    assert metrics['smileback_page_latency_seconds_count{notifier="pagerduty"}'] == 1
    assert metrics["smileback_outbox_depth"] == 0
    assert metrics["smileback_outbox_oldest_age_seconds"] == 0
    assert metrics['smileback_open_incidents{severity="critical"}'] == 0
    opened = [v for k, v in metrics.items() if k.startswith("smileback_incidents_opened_total{")]
    assert sum(opened) == 1
    assert metrics["smileback_ack_latency_seconds_count"] == 1
    for state in ("opened", "paged", "escalated", "acknowledged", "resolved"):
        assert metrics[f'smileback_incident_transitions_total{{state="{state}"}}'] == 1, state
    assert ready["consumer"] == "ok"
    assert promtool_problems(body) == []

    for secret in (ROUTING_KEY, HOOK_SECRET, SLACK_TOKEN, SMTP_LOGIN[1]):
        assert secret not in output
