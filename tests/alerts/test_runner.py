"""Wiring from settings: notifiers, policy and on-call files, failing fast and clearly; the
consumer loop's liveness and readiness."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from smileback.alerts import runner
from smileback.alerts.notifiers import (
    ConsoleNotifier,
    EmailNotifier,
    PagerDutyNotifier,
    SlackNotifier,
    WebhookNotifier,
)
from smileback.alerts.notifiers.testing import RecordingNotifier
from smileback.alerts.outbox import OutboxItem, OutboxStore, SendReport, create_schema, make_engine
from smileback.alerts.settings import AlertsSettings
from smileback.common.bus import Consumer, InMemoryBus, Record
from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.events import ReachTier, encode
from smileback.common.health import Health
from smileback.common.lag import CONSUMER, ConsumerWatch
from smileback.common.supervise import DATABASE, supervise
from tests.alerts.factory import notification
from tests.alerts.harness import TOPICS
from tests.support.alerts_live import wait_for
from tests.support.builders import scored_tiered
from tests.support.clock import Ticks
from tests.support.processes import SMILEBACK

WEBHOOK: dict[str, Any] = {
    "webhook_url": "https://hooks.example/x",
    "webhook_secret": SecretStr("a-webhook-secret-of-32-bytes-000"),
}


def test_webhook_only_pages_the_webhook_once_by_default() -> None:
    settings = AlertsSettings(
        webhook_url="https://hooks.example/x",
        webhook_secret=SecretStr("sekrit-value-of-24-bytes"),
        brands={"acme": ["acme", "@acmehelp"]},
    )
    paging, notifiers = runner.configure(settings)
    try:
        assert list(notifiers) == ["webhook"]
        assert isinstance(notifiers["webhook"], WebhookNotifier)
        assert "sekrit-value-of-24-bytes" not in repr(notifiers["webhook"])
        (level,) = paging.oncall.escalation_policies["default"].levels
        assert level.notify == ("webhook",)
        assert paging.oncall.escalation_policies["default"].repeat == 0
        assert paging.policy.for_brand("acme").handles == ("@acmehelp",)
    finally:
        for n in notifiers.values():
            n.close()


def test_every_notifier_from_settings() -> None:
    settings = AlertsSettings(
        **WEBHOOK,
        pagerduty_routing_key=SecretStr("pd-key"),
        slack_webhook_url=SecretStr("https://hooks.slack.com/services/T/B/X"),
        smtp_host="127.0.0.1",
        notify_console=True,
    )
    _, notifiers = runner.configure(settings)
    kinds = {name: type(n) for name, n in notifiers.items()}
    assert kinds == {
        "pagerduty": PagerDutyNotifier,
        "slack": SlackNotifier,
        "webhook": WebhookNotifier,
        "email": EmailNotifier,
        "console": ConsoleNotifier,
    }
    for n in notifiers.values():
        n.close()


def test_no_notifier_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no notifier configured"):
        runner.configure(AlertsSettings(webhook_url=None))


def test_policy_and_oncall_files_are_read_and_checked(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2] / "deploy" / "config"
    settings = AlertsSettings(
        policy_file=str(repo / "policy.example.yaml"),
        oncall_file=str(repo / "oncall.example.yaml"),
        pagerduty_routing_key=SecretStr("k"),
        slack_webhook_url=SecretStr("https://hooks.slack.com/services/T/B/X"),
        smtp_host="127.0.0.1",
    )
    paging, _ = runner.configure(settings)
    assert "social-primary" in paging.oncall.schedules
    without_email = settings.model_copy(update={"smtp_host": None})
    with pytest.raises(ConfigError, match="notifies email, which is not configured"):
        runner.configure(without_email)


def test_run_refuses_an_invalid_policy_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_bus(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("connected to Kafka before checking the config")

    policy = tmp_path / "policy.yaml"
    policy.write_text("defaults:\n  pile_on:\n    min_velocity: fast\n")
    monkeypatch.setattr(runner, "configure_logging", lambda **_: None)
    monkeypatch.setattr(runner, "KafkaBus", no_bus)
    settings = AlertsSettings(**WEBHOOK, policy_file=str(policy))
    with pytest.raises(ConfigError, match=rf"{policy}:3: defaults.pile_on.min_velocity"):
        runner.run(settings=settings)


@pytest.mark.parametrize(
    ("webhook", "stderr"),
    [
        ({"SMILEBACK_WEBHOOK_SECRET": ""}, "SMILEBACK_WEBHOOK_SECRET is empty"),
        ({}, "SMILEBACK_WEBHOOK_URL is set without SMILEBACK_WEBHOOK_SECRET"),
    ],
)
def test_an_empty_or_missing_webhook_secret_stops_the_command(
    webhook: dict[str, str], stderr: str
) -> None:
    done = subprocess.run(
        [str(SMILEBACK), "alerts"],
        env={
            "PATH": "/usr/bin:/bin",
            "SMILEBACK_WEBHOOK_URL": "https://hooks.example/x",
            "SMILEBACK_KAFKA_BOOTSTRAP": "127.0.0.1:1",
            **webhook,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert stderr in done.stderr


def test_the_command_prints_file_line_and_reason_and_exits_2(tmp_path: Path) -> None:
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text("responders:\n  ana: {}\nschedules:\n  main:\n    time_zone: Nowhere/Land\n")
    done = subprocess.run(
        [str(SMILEBACK), "alerts"],
        env={
            "PATH": "/usr/bin:/bin",
            "SMILEBACK_WEBHOOK_URL": "https://hooks.example/x",
            "SMILEBACK_WEBHOOK_SECRET": "a-webhook-secret-of-32-bytes-000",
            "SMILEBACK_ONCALL_FILE": str(oncall),
            "SMILEBACK_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"{oncall}:5: schedules.main.time_zone: unknown time zone" in done.stderr


def test_the_sender_sends_a_stored_page_when_woken_not_at_its_next_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "_SEND_POLL_S", 600.0)  # a pass that waited for it would fail
    engine = make_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    create_schema(engine)
    store, webhook = OutboxStore(engine), RecordingNotifier(name="webhook")
    stop, written = threading.Event(), threading.Event()
    sender = runner.make_sender(
        store=store,
        notifiers={"webhook": webhook},
        settings=AlertsSettings(**WEBHOOK),
        wait=stop.wait,
    )
    passes: list[SendReport] = []
    run_once = sender.run_once

    def counted() -> SendReport:
        passes.append(run_once())
        return passes[-1]

    monkeypatch.setattr(sender, "run_once", counted)
    sending = threading.Thread(
        target=runner._send, args=(sender, stop, Health(needs=[DATABASE]), written), daemon=True
    )
    sending.start()
    try:
        wait_for(
            "an idle pass", lambda: len(passes) == 1, timeout_s=30, alive=sending.is_alive, tail=str
        )
        page = notification(incident_id="inc_woken")
        with Session(engine) as session, session.begin():
            store.enqueue(
                session,
                items=[
                    OutboxItem(
                        incident_id="inc_woken",
                        target="webhook",
                        notifier="webhook",
                        kind=page.kind,
                        step=0,
                        notification=page,
                    )
                ],
                now=utc_now(),
            )
        written.set()
        wait_for(
            "the page", lambda: bool(webhook.sent), timeout_s=30, alive=sending.is_alive, tail=str
        )
    finally:
        stop.set()
        written.set()
        sending.join(timeout=30)
    assert [n.incident_id for n in webhook.sent] == ["inc_woken"]
    assert not sending.is_alive()
    engine.dispose()


class _GatedBus(InMemoryBus):
    """An in-process bus whose consumers' polls block while the gate is closed, as a poll
    stuck on a frozen broker does."""

    def __init__(self) -> None:
        super().__init__(TOPICS.all())
        self.open = threading.Event()
        self.open.set()
        self.blocked = threading.Event()

    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer:
        inner = super().consumer(topics, group=group)
        bus = self

        class Gated(Consumer):
            def poll(self, *, max_records: int, timeout_s: float) -> list[Record]:
                if not bus.open.is_set():
                    bus.blocked.set()
                    bus.open.wait()
                return inner.poll(max_records=max_records, timeout_s=timeout_s)

            def commit(self) -> None:
                inner.commit()

            def lag(self) -> dict[tuple[str, int], int]:
                return inner.lag()

            def close(self) -> None:
                inner.close()

        return Gated()


def test_a_consumer_loop_that_blocks_goes_not_live_and_not_ready_within_the_bound(
    tmp_path: Path,
) -> None:
    ticks, bus = Ticks(), _GatedBus()
    bus.publish(TOPICS.scored, key="root", value=encode(scored_tiered("m1", tier=ReachTier.NANO)))
    health = Health(needs=[], stall_s=30.0, monotonic=ticks)
    watch = ConsumerWatch(group="test-alerts-blocked", stale_s=30.0, monotonic=ticks)
    health.require(CONSUMER, watch.problem)
    settings = AlertsSettings(**WEBHOOK, alerts_tick_s=0.05)
    paging, notifiers = runner.configure(settings)
    stop = threading.Event()
    consuming = runner.Consuming(
        connect=lambda: bus,
        settings=settings,
        topics=TOPICS,
        engine=make_engine(f"sqlite:///{tmp_path / 'alerts.db'}"),
        paging=paging,
        stop=stop,
        outbox_written=lambda: None,
        watch=watch,
    )
    loop = threading.Thread(
        target=supervise, kwargs={"work": consuming.run, "stop": stop, "health": health}
    )
    loop.start()
    try:
        wait_for(
            "the loop to own its partitions",
            lambda: health.readiness().ok,
            timeout_s=30,
            alive=loop.is_alive,
            tail=lambda: str(health.readiness()),
        )
        bus.open.clear()
        bus.blocked.wait(timeout=30)
        assert bus.blocked.is_set()
        ticks.now += 30.0  # at the bound: a slow poll is not a stall yet
        assert health.liveness().ok
        assert health.readiness().ok
        ticks.now += 1.0
        assert health.liveness().detail == {"loop": "no progress for 31 s"}
        assert health.readiness().detail == {"consumer": "not polled for 31 s"}
        bus.open.set()
        wait_for(
            "the loop to beat again",
            lambda: health.liveness().ok and health.readiness().ok,
            timeout_s=30,
            alive=loop.is_alive,
            tail=lambda: str(health.liveness()),
        )
    finally:
        stop.set()
        bus.open.set()
        loop.join(30)
        for notifier in notifiers.values():
            notifier.close()
    assert not loop.is_alive()
