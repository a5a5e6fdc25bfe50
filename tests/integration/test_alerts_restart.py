"""A restart of `smileback alerts` between trigger and delivery still delivers exactly once.

The receiver is down (503) when the complaint arrives, so the page waits in the outbox on
PostgreSQL; the process is killed (SIGKILL: no clean-up at all, or SIGTERM) and started
again; once the receiver is back, the page arrives once and the thread is not paged again.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smileback.common.events import IncidentEventType, ReachTier, incident_id_for
from tests.support.alerts_live import ROUTING_KEY, IncidentsReader, alerts_env, thread_of, wait_for
from tests.support.builders import scored_tiered as scored
from tests.support.formats import check_pagerduty_event
from tests.support.infra import fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver, pagerduty_ok


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_restart_between_trigger_and_delivery_delivers_exactly_once(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path, how: signal.Signals
) -> None:
    brand = f"restart{uuid.uuid4().hex[:8]}"
    topics = unique_topics(kafka_bootstrap, stem="alertsrs")
    incident_id = incident_id_for(brand=brand, thread_root_id=f"{brand}:root")
    root = scored(f"{brand}:root", brand=brand, tier=ReachTier.MEGA, ingested_at=datetime.now(UTC))
    replies = [scored(f"{brand}:r{i}", brand=brand, root_id=root.id) for i in range(5)]

    with (
        fresh_database(postgres_url, prefix="alerts") as database,
        Receiver(
            ok=pagerduty_ok(incident_id),
            unavailable=True,
            check=lambda raw, _h: check_pagerduty_event(json.loads(raw), routing_key=ROUTING_KEY),
        ) as pagerduty,
    ):
        env = alerts_env(
            bootstrap=kafka_bootstrap,
            topics=topics,
            database=database,
            pagerduty_url=pagerduty.url,
            SMILEBACK_NOTIFIER_TIMEOUT_S="1",
            SMILEBACK_OUTBOX_BACKOFF_S="0.2",
            SMILEBACK_OUTBOX_BACKOFF_CAP_S="1",
            SMILEBACK_METRICS_PORT="0",
        )

        def attempts() -> int:
            return len(pagerduty.log.snapshot()[0])

        first = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "first.log")
        with first:
            produce(kafka_bootstrap, topics.scored, thread_of([root, *replies]))
            wait_for(
                "delivery attempts",
                lambda: attempts() >= 3,
                timeout_s=120,
                alive=first.alive,
                tail=first.tail,
            )
            assert first.proc is not None
            first.proc.send_signal(how)
            first.proc.wait(30)
        assert pagerduty.log.snapshot()[1] == []  # nothing delivered before the restart

        pagerduty.unavailable = False
        late = scored(f"{brand}:late", brand=brand, root_id=root.id, tier=ReachTier.MEGA)
        reader = IncidentsReader(kafka_bootstrap, topics)
        second = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "second.log")
        with second:
            # The sender resumes from the database at once, before the consumer has even joined.
            wait_for(
                "the page",
                lambda: bool(pagerduty.log.snapshot()[1]),
                timeout_s=20,
                alive=second.alive,
                tail=second.tail,
            )
            if how is signal.SIGTERM:
                # The first process left the group cleanly, so the second joins at once: a
                # redelivered reply and a new one; the restored incident counts only the new one.
                produce(kafka_bootstrap, topics.scored, thread_of([replies[0], late]))
                wait_for(
                    "the late reply",
                    lambda: any(e.mention_id == late.id for e in reader.poll()),
                    timeout_s=30,
                    alive=second.alive,
                    tail=second.tail,
                )
            else:
                # The replies' update, held back (coalesced), was saved with the incident;
                # the first process or, from the restored state, the second announces it.
                wait_for(
                    "the replies' update",
                    lambda: any(e.type is IncidentEventType.UPDATED for e in reader.poll()),
                    timeout_s=120,
                    alive=second.alive,
                    tail=second.tail,
                )
            time.sleep(3)  # a duplicate would arrive now
            # After SIGKILL the group waits out the dead member's session (45 s) before the new
            # consumer joins; a clean leave would wait for that, so this one is killed too.
            assert second.proc is not None
            second.proc.send_signal(how)
            assert second.proc.wait(30) in (0, -signal.SIGKILL), second.tail()
        events = reader.poll()
        reader.close()

    _, accepted, refused = pagerduty.log.snapshot()
    assert refused == []
    assert [(b["event_action"], b["dedup_key"]) for b in accepted] == [("trigger", incident_id)]
    paged = {e.event_id for e in events if e.type is IncidentEventType.PAGED}
    assert paged == {f"{incident_id}:paged:0"}
    updates = {e.event_id: e for e in events if e.type is IncidentEventType.UPDATED}
    counts = [e.mention_count for e in updates.values()]
    # Updates are coalesced (one per incident per 5 s): the newest counts the whole thread,
    # and no update counts the redelivered reply twice.
    if how is signal.SIGTERM:
        assert updates[f"{incident_id}:updated:{late.id}"].mention_count == len(replies) + 2
        assert max(counts) == len(replies) + 2
    else:
        assert max(counts) == len(replies) + 1
