"""Follow a streaming source into a sink, saving where to resume, pausing while Kafka is away.

Each item's outcome: a `Mapped` mention is brand-matched by the rules in force when it is
handled (live rules change them) and written as replay writes it (`publish_matched`); a
`Rejected` event goes to `sink.reject` with its raw bytes (the DLQ); a `Skipped` one is
counted and dropped.

Checkpoint: every `every_n` items or `every_s` seconds (whichever comes first, also while
the stream is quiet) and at shutdown, the sink is flushed and only then is the position of
the last handled item saved. So a saved position never covers a mention Kafka has not
acknowledged.

Kafka unavailable (a write or a flush raises BusError): the stream is closed, which stops
reading it (the server's socket holds the rest or the server drops us), the follower waits
with Backoff and jitter, then opens the stream again from the last saved position. What
was read but not acknowledged is read again (backfill, cursor), so nothing is dropped;
what was acknowledged twice is a duplicate, dropped downstream by mention id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from smileback.common.backoff import Backoff
from smileback.common.errors import BusError
from smileback.common.metrics import RECORDS
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.positions import Positions
from smileback.ingest.replay import publish_matched
from smileback.ingest.rules import Matcher
from smileback.ingest.sinks import STAGE, Sink
from smileback.ingest.sources.outcomes import Mapped, Outcome, Rejected
from smileback.ingest.streams.items import StreamItem

__all__ = ["Checkpoints", "Follower", "Resumable"]

log = structlog.get_logger(__name__)

_QUEUE = 100  # items read ahead of the sink: a small buffer, so a stalled sink stalls reading
_SHUTDOWN_FLUSH_S = 10.0


class Resumable(Protocol):
    """A stream whose `position` (text) after an item is where a new stream resumes."""

    @property
    def position(self) -> str | None: ...

    def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]: ...


@dataclass(frozen=True)
class Checkpoints:
    """How often the position is saved; `flush_timeout_s` bounds one wait for Kafka."""

    every_n: int = 500
    every_s: float = 5.0
    flush_timeout_s: float = 10.0


@dataclass
class _Queued:
    item: StreamItem[Outcome]
    position: str | None


@dataclass
class _Ended:
    error: Exception | None


def _quiet() -> None:
    pass


class Follower:
    """Runs `open_stream(position)` into `sink` until cancelled (SIGTERM), then checkpoints."""

    def __init__(
        self,
        *,
        open_stream: Callable[[str | None], Resumable],
        sink: Sink,
        matcher: Matcher,
        key: str,
        positions: Positions | None,
        start: str | None,
        checkpoints: Checkpoints | None = None,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        beat: Callable[[], None] = _quiet,
    ) -> None:
        """`start`: the position to begin at (the saved one; None: now). Without
        `positions` nothing is saved (`-o FILE`). `beat` is called each time the loop goes
        round (at least every `checkpoints.every_s`, however quiet the stream) and before
        each wait for Kafka: the worker's liveness."""
        self._open_stream = open_stream
        self._sink = sink
        self._matcher = matcher
        self._key = key
        self._positions = positions
        self._checkpoints = checkpoints or Checkpoints()
        self._backoff = backoff or Backoff(base_s=1.0, cap_s=30.0)
        self._sleep = sleep
        self._monotonic = monotonic
        self._beat = beat
        self.saved = start
        self._handled: str | None = start
        self._number = 0

    async def run(self) -> None:
        """Follow the stream; returns when the stream ends, raises CancelledError on stop."""
        while True:
            try:
                await self._session()
                return
            except BusError as exc:
                delay = self._backoff.next()
                log.warning(
                    "Kafka unavailable: the stream is paused",
                    error=str(exc),
                    resume_from=self.saved,
                    delay_s=round(delay, 2),
                )
                self._beat()  # waiting out an outage on purpose is not a stall
                await self._sleep(delay)

    async def _session(self) -> None:
        # A fresh memory of ids each session: what the last one read but Kafka never
        # acknowledged comes again and must be written, not dropped as a duplicate.
        seen = SeenIds()
        self._handled = self.saved
        stream = self._open_stream(self.saved)
        queue: asyncio.Queue[_Queued | _Ended] = asyncio.Queue(maxsize=_QUEUE)
        reader = asyncio.ensure_future(_read(stream, queue))
        try:
            await self._drain(queue, seen=seen)
        except asyncio.CancelledError:
            self._final_checkpoint()
            raise
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _drain(self, queue: asyncio.Queue[_Queued | _Ended], *, seen: SeenIds) -> None:
        every = self._checkpoints
        pending = 0
        last = self._monotonic()
        while True:
            left = every.every_s - (self._monotonic() - last)
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation
                # that lands as the item arrives, and the follower would miss its SIGTERM.
                async with asyncio.timeout(max(left, 0.0)):
                    queued = await queue.get()
            except TimeoutError:
                queued = None
            self._beat()
            if isinstance(queued, _Ended):
                self._checkpoint()
                if queued.error is not None:
                    raise queued.error
                return
            if queued is not None:
                self._handle(queued.item, seen=seen)
                self._handled = queued.position or self._handled
                pending += 1
            if pending >= every.every_n or self._monotonic() - last >= every.every_s:
                if pending:
                    self._checkpoint()
                pending, last = 0, self._monotonic()

    def _handle(self, item: StreamItem[Outcome], *, seen: SeenIds) -> None:
        self._number += 1
        outcome = item.outcome
        if isinstance(outcome, Mapped):
            result = publish_matched(
                mention=outcome.mention, sink=self._sink, matcher=self._matcher, seen=seen
            )
        elif isinstance(outcome, Rejected):
            self._sink.reject(
                raw=item.raw, error=outcome.reason, source_id=None, number=self._number
            )
            result = "dlq"
        else:
            result = "skipped"
        RECORDS.labels(stage=STAGE, outcome=result).inc()

    def _checkpoint(self, timeout_s: float | None = None) -> None:
        timeout = timeout_s or self._checkpoints.flush_timeout_s
        self._sink.flush(timeout)
        self._backoff.reset()
        position = self._handled
        if self._positions is None or position is None or position == self.saved:
            return
        self._positions.save(self._key, position, timeout_s=timeout)
        self.saved = position

    def _final_checkpoint(self) -> None:
        try:
            self._checkpoint(_SHUTDOWN_FLUSH_S)
        except BusError as exc:
            # The unsaved rest is read again at the next start: later, not lost.
            log.warning("stopping without saving the last position", error=str(exc))
        else:
            log.info("stopped", position=self.saved)


async def _read(stream: Resumable, queue: asyncio.Queue[_Queued | _Ended]) -> None:
    try:
        async for item in stream:
            # Read right after the item: the position that covers it and what came before.
            await queue.put(_Queued(item, stream.position))
    except Exception as exc:  # handed to the follower, which raises it in its own task
        await queue.put(_Ended(exc))
        return
    await queue.put(_Ended(None))
