"""The alerts stage of the one-process demo: console notifier, an SQLite outbox, sent at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from smileback.alerts.notifiers import ConsoleNotifier, Notifier
from smileback.alerts.outbox import OutboxSender, make_engine
from smileback.alerts.paging import Paging
from smileback.alerts.policy import Policy, brand_handles
from smileback.alerts.service import AlertsService
from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.loop import Handler
from smileback.common.oncall import default_oncall
from smileback.common.topics import Topics

__all__ = ["embedded_alerts"]


def embedded_alerts(
    *,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    console: TextIO,
    brands: Mapping[str, Sequence[str]],
    database_url: str = "sqlite://",
) -> Handler:
    """A handler for the scored and incidents topics that also ticks and drains the outbox."""
    notifiers: dict[str, Notifier] = {"console": ConsoleNotifier(console)}
    paging = Paging(
        policy=Policy().with_handles(brand_handles(brands)),
        oncall=default_oncall(notify=["console"]),
        notifiers=frozenset(notifiers),
    )
    service = AlertsService.start(
        engine=make_engine(database_url), bus=bus, topics=topics, clock=clock, paging=paging
    )
    sender = OutboxSender(store=service.outbox, notifiers=notifiers, clock=clock)

    def handle(records: Sequence[Record]) -> None:
        service.handle(records)
        service.tick()
        sender.run_once()

    return handle
