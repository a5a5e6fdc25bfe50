"""What the webhook does with verified mentions: match brands, write, wait until durable.

One request writes at a time: the sink's flush covers everything queued, so a request is
answered only once its own mentions (and any before them) are acknowledged, and a failed
flush can never be mistaken for another request's success. A request that cannot get its
turn within the acknowledgement timeout is told to retry, as one whose flush timed out is.
Each flush tells the Kafka dependency whether Kafka took the writes (readiness).

Until Kafka has answered at start (and the live rules are read) there is no Intake yet:
`IntakeSlot` tells every request to retry, then hands them to the Intake.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from smileback.common.errors import BusError
from smileback.common.events import Mention
from smileback.common.health import Dependency
from smileback.common.metrics import RECORDS, timed_batch
from smileback.ingest.rules import Matcher
from smileback.ingest.sinks import STAGE, Sink

__all__ = ["Intake", "IntakeSlot", "Taken", "UnavailableError"]


class UnavailableError(Exception):
    """The sink did not acknowledge in time, or Kafka was not reached yet (`starting`):
    nothing of the request may be called accepted."""

    def __init__(self, reason: str, *, starting: bool = False) -> None:
        super().__init__(reason)
        self.starting = starting


@dataclass(frozen=True)
class Taken:
    """Ids written and acknowledged, and ids that matched no brand (taken, not written)."""

    accepted: tuple[str, ...]
    unmatched: tuple[str, ...]


class Intake:
    """Brand-matches mentions and writes them to a sink, one request at a time."""

    def __init__(
        self,
        *,
        sink: Sink,
        matcher: Matcher,
        ack_timeout_s: float,
        kafka: Dependency | None = None,
    ) -> None:
        """`kafka`: told after each flush whether Kafka took the writes (None: not Kafka)."""
        self._sink = sink
        self._matcher = matcher
        self._ack_timeout_s = ack_timeout_s
        self._kafka = kafka
        self._turn = threading.Lock()

    def take(self, mentions: Sequence[Mention]) -> Taken:
        """Write the matched mentions, wait until acknowledged; UnavailableError if not. A
        request is the stage's batch (timed, and finished once Kafka acknowledged it)."""
        with timed_batch(STAGE, size=len(mentions)):
            return self._take(mentions)

    def _take(self, mentions: Sequence[Mention]) -> Taken:
        forward: list[Mention] = []
        unmatched: list[str] = []
        for mention in mentions:
            rules = self._matcher.snapshot()
            brand = rules.match(mention=mention)
            # As in replay: a deletion carries no brand terms but must reach every store.
            if brand is None and rules.brands and not mention.deleted:
                unmatched.append(mention.id)
            else:
                forward.append(mention.model_copy(update={"brand": brand}))
        if forward:
            self._write(forward)
        RECORDS.labels(stage=STAGE, outcome="published").inc(len(forward))
        RECORDS.labels(stage=STAGE, outcome="unmatched").inc(len(unmatched))
        return Taken(accepted=tuple(m.id for m in forward), unmatched=tuple(unmatched))

    def _write(self, mentions: Sequence[Mention]) -> None:
        if not self._turn.acquire(timeout=self._ack_timeout_s):
            raise UnavailableError("the writes before this request are not acknowledged yet")
        try:
            for mention in mentions:
                self._sink.write(mention)
            self._sink.flush(self._ack_timeout_s)
        except BusError as exc:
            if self._kafka is not None:
                self._kafka.down("writes not acknowledged")
            raise UnavailableError(str(exc)) from exc
        finally:
            self._turn.release()
        if self._kafka is not None:
            self._kafka.up()


class IntakeSlot:
    """Where requests find the Intake: empty until Kafka answered at start, and again once
    the server stops; while empty every request is told to retry."""

    def __init__(self) -> None:
        self._intake: Intake | None = None

    @property
    def is_open(self) -> bool:
        """True while an Intake takes requests."""
        return self._intake is not None

    def open(self, intake: Intake) -> None:
        """Take requests with `intake` from now on."""
        self._intake = intake

    def close(self) -> None:
        """Take no more requests."""
        self._intake = None

    def take(self, mentions: Sequence[Mention]) -> Taken:
        """The Intake's answer; UnavailableError (starting) while there is none."""
        intake = self._intake
        if intake is None:
            raise UnavailableError("Kafka has not answered yet", starting=True)
        return intake.take(mentions)
