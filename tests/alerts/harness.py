"""The alerts service on the in-process bus and an SQLite file, pumped and ticked by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from smileback.alerts.digest import DigestRule
from smileback.alerts.notifiers.testing import RecordingNotifier
from smileback.alerts.outbox import OutboxSender, make_engine
from smileback.alerts.paging import Paging
from smileback.alerts.policy import Policy
from smileback.alerts.service import AlertsService
from smileback.common.bus import InMemoryBus
from smileback.common.errors import SchemaError
from smileback.common.events import DlqRecord, IncidentEvent, QueueItem, decode, encode
from smileback.common.loop import pump
from smileback.common.oncall import OnCallConfig, default_oncall
from smileback.common.topics import Topics
from tests.support.clock import FakeClock

TOPICS = Topics()


class Harness:
    """One alerts "process"; `restart` builds a new one on the same bus and database."""

    def __init__(
        self,
        tmp_path: Path,
        clock: FakeClock,
        *,
        notifiers: Sequence[str] = ("webhook",),
        oncall: OnCallConfig | None = None,
        policy: Policy | None = None,
        digest: DigestRule | None = None,
    ) -> None:
        self.url = f"sqlite:///{tmp_path / 'alerts.db'}"
        self.clock = clock
        self.bus = InMemoryBus(TOPICS.all())
        self.notifiers = {name: RecordingNotifier(name=name) for name in notifiers}
        self.on_outbox_written: Callable[[], None] = lambda: None  # a test may watch commits
        self.paging = Paging(
            policy=policy or Policy(),
            oncall=oncall or default_oncall(notify=list(notifiers)),  # type: ignore[arg-type]
            notifiers=frozenset(notifiers),
            digest=digest,
        )
        self.restart()

    def restart(self) -> None:
        """A new service, sender and consumer, as after a crash: nothing kept in memory."""
        self.engine = make_engine(self.url)
        self.service = AlertsService.start(
            engine=self.engine,
            bus=self.bus,
            topics=TOPICS,
            clock=self.clock,
            paging=self.paging,
            outbox_written=lambda: self.on_outbox_written(),
        )
        self.sender = OutboxSender(
            store=self.service.outbox,
            notifiers=self.notifiers,
            clock=self.clock,
            jitter=lambda: 0.0,
        )
        self.consumer = self.bus.consumer(
            [TOPICS.scored, TOPICS.incidents, TOPICS.queues], group="test-alerts"
        )

    def feed(self, *values: bytes, key: str = "root") -> None:
        for value in values:
            self.bus.publish(TOPICS.scored, key=key, value=value)
        self.pump()

    def human(self, event: IncidentEvent) -> None:
        self.bus.publish(TOPICS.incidents, key=event.incident_id, value=encode(event))
        self.pump()

    def pump(self) -> None:
        while pump(
            consumer=self.consumer, bus=self.bus, handler=self.service.handle, max_records=7
        ):
            pass

    def deliver(self) -> None:
        self.sender.run_once()

    def sent(self, name: str = "webhook") -> list[tuple[str, str, int | None]]:
        return [(n.incident_id, str(n.kind), n.level) for n in self.notifiers[name].sent]

    def incidents(self) -> list[IncidentEvent]:
        """Every decodable event on the incidents topic, in order."""
        out = []
        for record in self.bus.records(TOPICS.incidents):
            try:
                out.append(decode(IncidentEvent, record.value))
            except SchemaError:
                continue  # a bad record a test put there on purpose
        return out

    def queues(self) -> list[QueueItem]:
        return [decode(QueueItem, r.value) for r in self.bus.records(TOPICS.queues)]

    def dlq(self) -> list[DlqRecord]:
        return [decode(DlqRecord, r.value) for r in self.bus.records(TOPICS.dlq)]
