"""Every service wired onto one in-process bus and one SQLite file: the embedded default."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from sqlalchemy import Engine

from smileback.alerts.embedded import embedded_alerts
from smileback.api.projector import make_handler as projector_handler
from smileback.api.store import create_schema, make_engine
from smileback.cli.demo.story import count
from smileback.common.bus import Consumer, InMemoryBus
from smileback.common.clock import Clock
from smileback.common.events import IncidentEvent, IncidentEventType, QueueItem, QueueName, decode
from smileback.common.loop import Handler, pump
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.replay import IngestReport, replay
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import BusSink
from smileback.scorer.factory import default_pipeline
from smileback.scorer.handler import make_handler as scorer_handler

__all__ = ["EmbeddedStack", "Summary"]


@dataclass(frozen=True)
class Summary:
    """What one run did, as `smileback demo --once` prints it."""

    mentions: int
    scored: int
    incidents: int
    pages: int
    smile_back: int
    dlq: int

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(self.__dict__)

    def __str__(self) -> str:
        return (
            f"{count(self.mentions, 'mention')}, {self.scored:,} scored, "
            f"{count(self.incidents, 'incident')}, {count(self.pages, 'page')}, "
            f"{self.smile_back:,} to smile back, {self.dlq:,} in the DLQ"
        )


@dataclass
class _Stage:
    name: str
    consumer: Consumer
    handler: Handler


@dataclass
class EmbeddedStack:
    """Ingest, scorer, alerts and the API projector sharing one bus and database."""

    bus: InMemoryBus
    topics: Topics
    engine: Engine
    brands: dict[str, list[str]]
    clock: Clock
    stages: list[_Stage] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        database_url: str,
        brands: dict[str, list[str]],
        clock: Clock,
        console: TextIO,
    ) -> EmbeddedStack:
        """Wire every stage; the scorer, alerts and projector each get their own group."""
        topics = Topics()
        bus = InMemoryBus(topics.all())
        engine = make_engine(database_url)
        create_schema(engine)
        stack = cls(bus=bus, topics=topics, engine=engine, brands=brands, clock=clock)
        stack.stages = [
            _Stage(
                "scorer",
                bus.consumer([topics.raw], group="smileback-scorer"),
                scorer_handler(bus=bus, topics=topics, pipeline=default_pipeline(), clock=clock),
            ),
            _Stage(
                "alerts",
                # Incidents too: acknowledgements and resolutions from the API stop escalation.
                bus.consumer([topics.scored, topics.incidents], group="smileback-alerts"),
                embedded_alerts(
                    bus=bus, topics=topics, clock=clock, console=console, brands=brands
                ),
            ),
            _Stage(
                "projector",
                bus.consumer(
                    [topics.scored, topics.incidents, topics.queues], group="smileback-projector"
                ),
                projector_handler(engine=engine, bus=bus, topics=topics, clock=clock),
            ),
        ]
        return stack

    def ingest(self, lines: Iterable[bytes]) -> IngestReport:
        """Replay lines through the ingest core onto the bus."""
        return replay(
            lines=lines,
            sink=BusSink(bus=self.bus, topics=self.topics, clock=self.clock),
            matcher=BrandMatcher.from_terms(self.brands),
            seen=SeenIds(),
            clock=self.clock,
        )

    def drain(self) -> int:
        """Pump every stage until none has anything left; returns records handled."""
        total = 0
        while True:
            handled = sum(
                pump(consumer=s.consumer, bus=self.bus, handler=s.handler) for s in self.stages
            )
            if not handled:
                return total
            total += handled

    def summary(self) -> Summary:
        """Counts read back from the topics themselves."""
        incidents = [
            decode(IncidentEvent, r.value) for r in self.bus.records(self.topics.incidents)
        ]
        queued = [decode(QueueItem, r.value) for r in self.bus.records(self.topics.queues)]
        return Summary(
            mentions=len(self.bus.records(self.topics.raw)),
            scored=len(self.bus.records(self.topics.scored)),
            incidents=len({e.incident_id for e in incidents}),
            pages=sum(e.type is IncidentEventType.PAGED for e in incidents),
            smile_back=len({q.mention_id for q in queued if q.queue is QueueName.SMILE_BACK}),
            dlq=len(self.bus.records(self.topics.dlq)),
        )
