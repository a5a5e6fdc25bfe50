"""Follower: outcomes to the sink, positions saved only after a flush, a failing Kafka pauses
the stream and resumes it from the saved position, a stop saves the last position; its loop
beats liveness however quiet the stream, and not while it is blocked."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from smileback.common.errors import BusError
from smileback.common.events import BrandRuleEvent, Mention
from smileback.common.health import Health
from smileback.common.rule_feed import RuleFeed
from smileback.ingest.follow import Checkpoints, Follower, Resumable
from smileback.ingest.live import LiveRules
from smileback.ingest.positions import Positions
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import Sink
from smileback.ingest.sources.outcomes import Mapped, Outcome, Rejected, Skipped
from smileback.ingest.streams.items import StreamItem
from tests.support.clock import Ticks

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def mention(n: int, text: str = "acme is great", *, deleted: bool = False) -> Mapped:
    return Mapped(Mention(id=f"m{n}", text=text, created_at=NOW, ingested_at=NOW, deleted=deleted))


class FakeStream:
    """Yields the events after `since` (by number) and then ends, as a replayed server."""

    def __init__(self, events: list[tuple[int, Outcome]], since: str | None, log: list[str]):
        self._events = [(n, o) for n, o in events if since is None or n > int(since)]
        self._position = since
        log.append(f"open {since}")

    @property
    def position(self) -> str | None:
        return self._position

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        for n, outcome in self._events:
            self._position = str(n)
            yield StreamItem(outcome, raw=f"raw {n}".encode())


class RecordingSink(Sink):
    def __init__(self, *, failing_flushes: int = 0) -> None:
        self.queued: list[str] = []
        self.durable: list[str] = []
        self.rejected: list[tuple[bytes, str]] = []
        self.failing_flushes = failing_flushes

    def write(self, mention: Mention) -> None:
        self.queued.append(mention.id + ("/deleted" if mention.deleted else ""))

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        self.rejected.append((raw, error))

    def flush(self, timeout_s: float | None = None) -> None:
        if self.failing_flushes:
            self.failing_flushes -= 1
            self.queued.clear()  # what a broker never acknowledged is not there
            raise BusError("flush failed: broker down")
        self.durable += self.queued
        self.queued.clear()


class MemoryPositions(Positions):
    def __init__(self, sink: RecordingSink) -> None:
        self.saved: dict[str, str] = {}
        self.durable_at_save: list[int] = []
        self._sink = sink

    def load(self, key: str) -> str | None:
        return self.saved.get(key)

    def save(self, key: str, position: str, *, timeout_s: float | None = None) -> None:
        assert not self._sink.queued, "a position saved before its mentions were flushed"
        self.saved[key] = position
        self.durable_at_save.append(len(self._sink.durable))


def follower(
    events: list[tuple[int, Outcome]],
    sink: RecordingSink,
    positions: Positions | None,
    *,
    opened: list[str],
    every_n: int = 2,
    start: str | None = None,
    sleeps: list[float] | None = None,
) -> Follower:
    async def sleep(delay: float) -> None:
        (sleeps if sleeps is not None else []).append(delay)

    def open_stream(since: str | None) -> Resumable:
        return FakeStream(events, since, opened)

    return Follower(
        open_stream=open_stream,
        sink=sink,
        matcher=BrandMatcher.from_terms({"acme": ["acme"]}),
        key="fake:one",
        positions=positions,
        start=start,
        checkpoints=Checkpoints(every_n=every_n, every_s=60.0, flush_timeout_s=1.0),
        sleep=sleep,
    )


async def test_each_outcome_goes_where_it_belongs_and_the_position_follows_the_flush() -> None:
    events: list[tuple[int, Outcome]] = [
        (1, mention(1)),
        (2, mention(2, "nothing about the brand")),
        (3, Rejected(reason="update: not JSON")),
        (4, Skipped(reason="a notification")),
        (5, mention(1, "", deleted=True)),
        (6, mention(1)),
    ]
    sink = RecordingSink()
    positions = MemoryPositions(sink)
    opened: list[str] = []
    await follower(events, sink, positions, opened=opened).run()
    assert sink.durable == ["m1", "m1/deleted"]  # unmatched and duplicate left out
    assert sink.rejected == [(b"raw 3", "update: not JSON")]
    assert positions.saved == {"fake:one": "6"}
    assert positions.durable_at_save == [1, 1, 2]  # after events 2, 4 and 6


async def test_a_failing_kafka_pauses_and_resumes_from_the_saved_position() -> None:
    events: list[tuple[int, Outcome]] = [(n, mention(n)) for n in range(1, 7)]
    sink = RecordingSink()
    positions = MemoryPositions(sink)
    opened: list[str] = []
    sleeps: list[float] = []
    run = follower(events, sink, positions, opened=opened, sleeps=sleeps, start="0")
    real_flush = sink.flush
    calls = 0

    def flaky_flush(timeout_s: float | None = None) -> None:
        nonlocal calls
        calls += 1
        if calls in (2, 3):  # the second checkpoint fails twice: events 3 and 4 unacknowledged
            sink.failing_flushes = 1
        real_flush(timeout_s)

    sink.flush = flaky_flush  # type: ignore[method-assign]
    await run.run()
    assert opened == ["open 0", "open 2", "open 2"]
    assert len(sleeps) == 2
    assert sink.durable == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert positions.saved == {"fake:one": "6"}


async def test_without_positions_nothing_is_saved_and_the_stream_starts_from_now() -> None:
    sink = RecordingSink()
    opened: list[str] = []
    await follower([(1, mention(1))], sink, None, opened=opened).run()
    assert opened == ["open None"]
    assert sink.durable == ["m1"]


async def test_a_stop_flushes_and_saves_what_was_handled() -> None:
    sink = RecordingSink()
    positions = MemoryPositions(sink)
    handled = asyncio.Event()

    class Endless(FakeStream):
        async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
            self._position = "1"
            yield StreamItem(mention(1), raw=b"raw 1")
            handled.set()
            await asyncio.Event().wait()
            yield StreamItem(mention(2), raw=b"never")  # pragma: no cover

    run = Follower(
        open_stream=lambda since: Endless([], since, []),
        sink=sink,
        matcher=BrandMatcher.from_terms({}),
        key="fake:one",
        positions=positions,
        start=None,
        checkpoints=Checkpoints(every_n=100, every_s=60.0),
    )
    task = asyncio.ensure_future(run.run())
    await handled.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sink.durable == ["m1"]
    assert positions.saved == {"fake:one": "1"}


async def test_a_stop_is_not_lost_while_the_stream_never_runs_dry() -> None:
    """A stop that lands as the next item is handed over still stops the follower: with
    Python 3.11's `asyncio.wait_for` the item won and the stop was dropped (the process
    kept going until SIGKILL)."""

    class Flowing(FakeStream):
        async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
            n = 0
            while True:
                n += 1
                self._position = str(n)
                yield StreamItem(mention(n), raw=b"raw")
                await asyncio.sleep(0)

    for attempt in range(50):
        sink = RecordingSink()
        run = Follower(
            open_stream=lambda since: Flowing([], since, []),
            sink=sink,
            matcher=BrandMatcher.from_terms({"acme": ["acme"]}),
            key="fake:one",
            positions=MemoryPositions(sink),
            start=None,
            checkpoints=Checkpoints(every_n=1_000_000, every_s=60.0),
        )
        task = asyncio.ensure_future(run.run())
        for _ in range(attempt + 1):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2.0)
        assert done, f"attempt {attempt}: the follower went on after its stop"
        assert task.cancelled()


async def test_a_stream_error_that_is_not_kafkas_ends_the_follower() -> None:
    class Broken(FakeStream):
        async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
            raise ValueError("token refused")
            yield  # pragma: no cover

    run = Follower(
        open_stream=lambda since: Broken([], since, []),
        sink=RecordingSink(),
        matcher=BrandMatcher.from_terms({}),
        key="fake:one",
        positions=None,
        start=None,
    )
    with pytest.raises(ValueError, match="token refused"):
        await run.run()


class _NoFeed(RuleFeed):
    """A brand-rules feed with nothing on it: the test applies changes itself."""

    def __init__(self) -> None:
        pass

    def catch_up(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        return []

    def poll(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        return []

    def close(self) -> None:
        pass


async def test_a_live_rule_that_arrives_mid_stream_matches_the_mentions_after_it() -> None:
    rules = LiveRules(static=BrandMatcher.from_terms({"acme": ["acme"]}).rules, feed=_NoFeed())
    sink = RecordingSink()

    class Stream:
        position: str | None = None

        async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
            yield StreamItem(mention(1, "zeta beans"), raw=b"1")
            yield StreamItem(mention(2, "acme"), raw=b"2")
            for _ in range(10_000):  # m2 handled means m1 was, before the rule came
                if "m2" in sink.queued:
                    break
                await asyncio.sleep(0)
            rules.apply([BrandRuleEvent(rule_id="r1", brand="zeta", query="zeta", at=NOW)])
            yield StreamItem(mention(3, "zeta beans"), raw=b"3")

    await Follower(
        open_stream=lambda _since: Stream(),
        sink=sink,
        matcher=rules,
        key="fake:one",
        positions=None,
        start=None,
    ).run()
    assert sink.durable == ["m2", "m3"]


class _HeldStream:
    """Yields one mention, stays quiet until `more` is set, then yields another and ends."""

    position: str | None = None

    def __init__(self) -> None:
        self.more = threading.Event()

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        yield StreamItem(mention(1), raw=b"1")
        while not self.more.is_set():
            await asyncio.sleep(0.01)
        yield StreamItem(mention(2), raw=b"2")


class _GatedSink(RecordingSink):
    """A write blocks while the gate is closed, as a producer stuck on a full buffer does."""

    def __init__(self) -> None:
        super().__init__()
        self.open = threading.Event()
        self.open.set()
        self.blocked = threading.Event()

    def write(self, mention: Mention) -> None:
        if not self.open.is_set():
            self.blocked.set()
            self.open.wait()
        super().write(mention)


def _until(what: str, check: Callable[[], bool], *, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert alive(), f"the follower ended while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_the_loop_beats_while_the_stream_is_quiet_and_not_while_a_write_blocks() -> None:
    ticks = Ticks()
    health = Health(needs=[], stall_s=30.0, monotonic=ticks)
    stream, sink = _HeldStream(), _GatedSink()
    run = Follower(
        open_stream=lambda _since: stream,
        sink=sink,
        matcher=BrandMatcher.from_terms({"acme": ["acme"]}),
        key="fake:held",
        positions=None,
        start=None,
        checkpoints=Checkpoints(every_n=100, every_s=0.02, flush_timeout_s=1.0),
        beat=health.beat,
    )
    loop = threading.Thread(target=asyncio.run, args=(run.run(),), daemon=True)
    loop.start()
    _until("the first mention", lambda: sink.durable == ["m1"], alive=loop.is_alive)
    ticks.now += 31.0  # nothing has come for a while: the quiet loop still goes round
    _until("a beat while quiet", lambda: health.liveness().ok, alive=loop.is_alive)
    sink.open.clear()
    stream.more.set()
    _until("the write to block", sink.blocked.is_set, alive=loop.is_alive)
    ticks.now += 30.0
    assert health.liveness().ok  # at the bound
    ticks.now += 1.0
    assert health.liveness().detail == {"loop": "no progress for 31 s"}
    sink.open.set()
    loop.join(30)
    assert not loop.is_alive()
    assert sink.durable == ["m1", "m2"]
