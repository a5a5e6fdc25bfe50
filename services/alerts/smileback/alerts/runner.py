"""The `smileback alerts` process: load and check the config, then consume, tick and send.

The consumer loop (main thread) handles scored mentions and human actions and runs the
escalation/auto-resolve tick; a sender thread delivers the outbox. SIGTERM stops both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TextIO

import structlog

from smileback.alerts.notifiers import Notifier, notifiers_from_settings
from smileback.alerts.oncall import NOTIFIER_NAMES, default_oncall, load_oncall
from smileback.alerts.outbox import OutboxSender, make_engine
from smileback.alerts.paging import Paging
from smileback.alerts.policy import Policy, brand_handles, load_policy
from smileback.alerts.service import AlertsService
from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.loop import pump
from smileback.common.metrics import serve_metrics
from smileback.common.settings import Settings
from smileback.common.topics import Topics

__all__ = ["configure", "make_sender", "run"]

log = structlog.get_logger(__name__)

_SEND_POLL_S = 0.5


def configure(
    settings: Settings, *, console: TextIO | None = None
) -> tuple[Paging, dict[str, Notifier]]:
    """Notifiers, policy and on-call from settings and files; ConfigError if any is invalid."""
    notifiers = notifiers_from_settings(settings, console=console)
    try:
        policy = load_policy(settings.policy_file) if settings.policy_file else Policy()
        oncall = (
            load_oncall(settings.oncall_file)
            if settings.oncall_file
            else default_oncall(notify=[n for n in NOTIFIER_NAMES if n in notifiers])
        )
        paging = Paging(
            policy=policy.with_handles(brand_handles(settings.brands)),
            oncall=oncall,
            notifiers=frozenset(notifiers),
            link_base=settings.console_base_url,
        )
    except ConfigError:
        for notifier in notifiers.values():
            notifier.close()
        raise
    return paging, notifiers


def make_sender(
    *, service: AlertsService, notifiers: Mapping[str, Notifier], settings: Settings
) -> OutboxSender:
    """The outbox sender; a lease outlives the slowest notifier's timeout."""
    slowest = max(settings.notifier_timeout_s, settings.webhook_timeout_s)
    return OutboxSender(
        store=service.outbox,
        notifiers=notifiers,
        clock=service.clock,
        backoff_s=settings.outbox_backoff_s,
        cap_s=settings.outbox_backoff_cap_s,
        max_age=timedelta(seconds=settings.outbox_max_age_s),
        lease_s=2 * slowest + 5,
    )


def run(*, settings: Settings) -> None:
    """Consume, tick and send until SIGTERM or SIGINT."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    paging, notifiers = configure(settings)  # before any connection: fail fast
    stop = stop_on_signals()
    serve_metrics(port=settings.metrics_port, host=settings.metrics_host)
    topics = Topics(prefix=settings.topic_prefix)
    engine = make_engine(settings.alerts_database_url or settings.database_url)
    bus = KafkaBus(settings.kafka_bootstrap, client_id="smileback-alerts")
    sending: threading.Thread | None = None
    try:
        service = AlertsService.start(
            engine=engine, bus=bus, topics=topics, clock=utc_now, paging=paging
        )
        sender = make_sender(service=service, notifiers=notifiers, settings=settings)
        sending = threading.Thread(target=_send, args=(sender, stop), name="outbox", daemon=True)
        sending.start()
        consumer = bus.consumer([topics.scored, topics.incidents], group=settings.alerts_group)
        log.info(
            "alerts running",
            topics=[topics.scored, topics.incidents],
            group=settings.alerts_group,
            notifiers=[repr(n) for n in notifiers.values()],
        )
        try:
            last_tick = 0.0
            while not stop.is_set():
                pump(consumer=consumer, bus=bus, handler=service.handle, timeout_s=0.2)
                if time.monotonic() - last_tick >= settings.alerts_tick_s:
                    service.tick()
                    last_tick = time.monotonic()
        finally:
            consumer.close()
    finally:
        stop.set()
        if sending is not None:
            sending.join(timeout=2 * max(settings.notifier_timeout_s, settings.webhook_timeout_s))
        bus.close()
        for notifier in notifiers.values():
            notifier.close()
        engine.dispose()
        log.info("alerts stopped")


def _send(sender: OutboxSender, stop: threading.Event) -> None:
    """Deliver until `stop`; a database hiccup is logged and retried, never fatal here."""
    while not stop.is_set():
        try:
            report = sender.run_once()
        except Exception:  # the consumer loop owns the process's fate; keep delivering
            log.exception("outbox pass failed; retrying")
            stop.wait(2.0)
            continue
        if report.tried == 0:
            stop.wait(_SEND_POLL_S)
