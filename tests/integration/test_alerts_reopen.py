"""A resolved incident whose thread flares up is paged again under a new dedup key, by a
restarted `smileback alerts` on the real broker and PostgreSQL: the resolved incident is
remembered in the database across the restart."""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path

from smileback.common.events import IncidentEventType, ReachTier, incident_id_for
from tests.support.alerts_live import ROUTING_KEY, IncidentsReader, alerts_env, thread_of, wait_for
from tests.support.builders import scored_tiered as scored
from tests.support.formats import check_pagerduty_event
from tests.support.infra import fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver, pagerduty_ok


def test_a_flare_up_after_a_restart_pages_under_a_new_dedup_key(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    brand = f"reopen{uuid.uuid4().hex[:8]}"
    topics = unique_topics(kafka_bootstrap, stem="alertsro")
    incident_id = incident_id_for(brand=brand, thread_root_id=f"{brand}:root")
    root = scored(f"{brand}:root", brand=brand, tier=ReachTier.MEGA)
    flare = scored(f"{brand}:flare", brand=brand, root_id=root.id, tier=ReachTier.MEGA)
    policy = tmp_path / "policy.yaml"
    # Quiet for 3 s resolves: the first generation closes by itself, quickly.
    policy.write_text("version: 1\ndefaults:\n  resolve_after_quiet_minutes: 0.05\n")

    with (
        fresh_database(postgres_url, prefix="alerts") as database,
        Receiver(
            ok=pagerduty_ok(incident_id),
            check=lambda raw, _h: check_pagerduty_event(json.loads(raw), routing_key=ROUTING_KEY),
        ) as pagerduty,
    ):
        env = alerts_env(
            bootstrap=kafka_bootstrap,
            topics=topics,
            database=database,
            pagerduty_url=pagerduty.url,
            SMILEBACK_POLICY_FILE=str(policy),
            SMILEBACK_METRICS_PORT="0",
        )

        def delivered() -> list[tuple[str, str]]:
            return [(b["event_action"], b["dedup_key"]) for b in pagerduty.log.snapshot()[1]]

        first = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "first.log")
        with first:
            produce(kafka_bootstrap, topics.scored, thread_of([root]))
            wait_for(
                "the page and its quiet resolve",
                lambda: ("resolve", incident_id) in delivered(),
                timeout_s=120,
                alive=first.alive,
                tail=first.tail,
            )
            assert first.proc is not None
            first.proc.send_signal(signal.SIGTERM)
            assert first.proc.wait(30) == 0, first.tail()

        reader = IncidentsReader(kafka_bootstrap, topics)
        second = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "second.log")
        with second:
            produce(kafka_bootstrap, topics.scored, thread_of([flare]))
            wait_for(
                "the flare-up's page",
                lambda: ("trigger", f"{incident_id}#r1") in delivered(),
                timeout_s=120,
                alive=second.alive,
                tail=second.tail,
            )
            wait_for(
                "the reopened event",
                lambda: any(e.type is IncidentEventType.REOPENED for e in reader.poll()),
                timeout_s=30,
                alive=second.alive,
                tail=second.tail,
            )
            assert second.proc is not None
            second.proc.send_signal(signal.SIGTERM)
            assert second.proc.wait(30) == 0, second.tail()
        events = reader.poll()
        reader.close()

    assert delivered()[:3] == [
        ("trigger", incident_id),
        ("resolve", incident_id),
        ("trigger", f"{incident_id}#r1"),
    ]
    assert pagerduty.log.snapshot()[2] == []
    reopened = [e for e in events if e.type is IncidentEventType.REOPENED]
    assert [(e.event_id, e.mention_id, e.note) for e in reopened] == [
        (f"{incident_id}:reopened:1", flare.id, None)
    ]
    paged = {e.event_id for e in events if e.type is IncidentEventType.PAGED}
    assert paged == {f"{incident_id}:paged:0", f"{incident_id}:paged:1"}
