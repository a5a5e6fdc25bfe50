"""The ingest process of a streaming source: resume position from Kafka, follow, stop on
SIGTERM. With `-o FILE` there is no Kafka: the stream starts from now and nothing is saved.
Mentions are matched by the static rules plus, by default into Kafka, the live rules.

A broker that does not answer at start is waited for with backoff (one warning a try); only
a configuration error (bad brands, rules file, token) ends the command. The metrics port
serves /metrics, /healthz (live while the follower's loop goes round, which it does at least
every checkpoint interval, or while Kafka is waited for) and /readyz (Kafka has the topics).

Jetstream's signals are not mentions: `identity` events already fed the stream's handle
cache, and an `account` event deletes nothing (see sources/jetstream.py), so both are
counted as skipped; a deactivation is logged. Its position is saved as JSON text,
`{"time_us": …, "cursor": …}` (cursor only from a v2 server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from smileback.common.backoff import when_reachable
from smileback.common.clock import utc_now
from smileback.common.errors import BusError, ConfigError
from smileback.common.health import Health, serve_health
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.probes import KafkaProbe
from smileback.common.supervise import KAFKA
from smileback.common.topics import Topics
from smileback.ingest.follow import Checkpoints, Follower, Resumable
from smileback.ingest.live import live_rules_on, open_matcher, static_rules
from smileback.ingest.metrics import SOURCES
from smileback.ingest.positions import KafkaPositions, Positions
from smileback.ingest.rules import BrandMatcher, Matcher
from smileback.ingest.runner import open_bus, open_sink
from smileback.ingest.settings import IngestSettings
from smileback.ingest.sinks import BusSink, Sink
from smileback.ingest.sources.jetstream import AccountChanged, HandleChanged, Position
from smileback.ingest.sources.mastodon import instance_host
from smileback.ingest.sources.outcomes import Outcome, Skipped
from smileback.ingest.streams.items import StreamItem
from smileback.ingest.streams.jetstream import JetstreamStream
from smileback.ingest.streams.mastodon import MastodonStream
from smileback.ingest.streams.mastodon_api import parse_stream
from smileback.ingest.streams.profiles import ProfileLookup

__all__ = [
    "JetstreamOptions",
    "MastodonOptions",
    "jetstream_key",
    "mastodon_key",
    "parse_position",
    "position_text",
    "run_jetstream",
    "run_mastodon",
]

log = structlog.get_logger(__name__)

_PROBE_S = 5.0  # how often Kafka is probed for readiness


@dataclass(frozen=True)
class MastodonOptions:
    """What `smileback ingest mastodon` was asked to follow."""

    instance: str
    stream: str


@dataclass(frozen=True)
class JetstreamOptions:
    """What `smileback ingest jetstream` was asked to follow."""

    url: str
    wanted_dids: Sequence[str] = ()
    appview: str | None = None  # None: SMILEBACK_BLUESKY_APPVIEW
    zstd: bool | None = None  # None: SMILEBACK_INGEST_JETSTREAM_ZSTD


def jetstream_key(options: JetstreamOptions) -> str:
    """The identity the position is saved under: cursors are local to one instance."""
    return f"jetstream:{options.url}"


def position_text(position: Position) -> str:
    """A Jetstream position as the text saved in the positions topic."""
    return json.dumps({"time_us": position.time_us, "cursor": position.cursor})


def parse_position(text: str | None) -> Position | None:
    """The Position of `position_text`; None (start from now) when unreadable."""
    if text is None:
        return None
    try:
        fields = json.loads(text)
        cursor = fields.get("cursor")
        return Position(
            time_us=int(fields["time_us"]), cursor=None if cursor is None else int(cursor)
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def mastodon_key(options: MastodonOptions) -> str:
    """The identity the position is saved under: one per instance and stream."""
    return f"mastodon:{instance_host(options.instance)}:{parse_stream(options.stream).name}"


def run_mastodon(
    *, settings: IngestSettings, options: MastodonOptions, output: Path | None
) -> None:
    """Follow a Mastodon stream into Kafka (or `output`) until SIGTERM or SIGINT."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.mastodon_token is None:
        raise ConfigError(
            "SMILEBACK_MASTODON_TOKEN is not set: Mastodon streams need a user access token"
        )
    token = settings.mastodon_token.get_secret_value()
    key = mastodon_key(options)

    def open_stream(since_id: str | None) -> Resumable:
        return MastodonStream(
            instance=options.instance, stream=options.stream, token=token, since_id=since_id
        )

    _follow(settings=settings, source="mastodon", key=key, open_stream=open_stream, output=output)


def run_jetstream(
    *, settings: IngestSettings, options: JetstreamOptions, output: Path | None
) -> None:
    """Follow Bluesky's Jetstream into Kafka (or `output`) until SIGTERM or SIGINT."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    profiles = ProfileLookup(appview=options.appview or settings.bluesky_appview)

    def open_stream(saved: str | None) -> Resumable:
        stream = JetstreamStream(
            url=options.url,
            wanted_dids=options.wanted_dids,
            position=parse_position(saved),
            profiles=profiles,
            zstd=settings.ingest_jetstream_zstd if options.zstd is None else options.zstd,
        )
        return _Jetstream(stream)

    _follow(
        settings=settings,
        source="jetstream",
        key=jetstream_key(options),
        open_stream=open_stream,
        output=output,
        close=profiles.aclose,
    )


class _Jetstream:
    """A JetstreamStream as the Follower reads it: text positions, signals as Skipped."""

    def __init__(self, stream: JetstreamStream) -> None:
        self._stream = stream

    @property
    def position(self) -> str | None:
        position = self._stream.position
        return None if position is None else position_text(position)

    async def __aiter__(self) -> AsyncIterator[StreamItem[Outcome]]:
        async for item in self._stream:
            outcome = item.outcome
            if isinstance(outcome, HandleChanged):
                yield StreamItem(Skipped(reason="identity: handle cached"), raw=item.raw)
            elif isinstance(outcome, AccountChanged):
                if not outcome.active:
                    log.info("Bluesky account not active; its posts are kept", did=outcome.did)
                yield StreamItem(Skipped(reason="account status"), raw=item.raw)
            else:
                yield StreamItem(outcome, raw=item.raw)


@dataclass
class _Connected:
    """What a stream is followed with once Kafka answered; `resources` closes them."""

    resources: contextlib.ExitStack
    matcher: Matcher
    sink: Sink
    positions: Positions | None
    start: str | None


def _follow(
    *,
    settings: IngestSettings,
    source: str,
    key: str,
    open_stream: Callable[[str | None], Resumable],
    output: Path | None,
    close: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Follow `source` (its kind, the `source` label) under `key` until stopped, serving
    /metrics, /healthz (the follower's loop beats) and /readyz (Kafka takes writes) on the
    metrics port."""
    static = static_rules(settings)  # a bad rule stops the command before anything connects
    live = live_rules_on(settings=settings, output=output)
    stop = stop_on_signals()
    needed = _kafka_topics(settings=settings, live=live, output=output)
    health = Health(needs=[KAFKA] if needed else [])
    serve_health(health=health, port=settings.metrics_port, host=settings.metrics_host)
    SOURCES.labels(source=source).set(1)
    connected = when_reachable(
        lambda: _connect(settings=settings, static=static, live=live, key=key, output=output),
        dependency="Kafka",
        errors=(BusError,),
        stop=stop,
        waiting=health.beat,
    )
    if connected is None:
        return  # stopped while Kafka was still away
    with connected.resources:
        if stop.is_set():
            return
        if needed and settings.metrics_port:  # readiness is only asked on the metrics port
            probe = KafkaProbe(
                bootstrap=settings.kafka_bootstrap,
                topics=needed,
                client_id="smileback-ingest",
                security=settings,
            )
            connected.resources.callback(probe.close)
            health.dependency(KAFKA).up()  # it answered just now
            watching = threading.Event()
            connected.resources.callback(watching.set)
            health.watch({KAFKA: probe}, every_s=_PROBE_S, stop=watching)
        log.info("ingest stream started", source=key, resume_from=connected.start)
        follower = Follower(
            open_stream=open_stream,
            sink=connected.sink,
            matcher=connected.matcher,
            key=key,
            positions=connected.positions,
            start=connected.start,
            checkpoints=Checkpoints(
                every_n=settings.ingest_checkpoint_every_n,
                every_s=settings.ingest_checkpoint_every_s,
                flush_timeout_s=settings.ingest_flush_timeout_s,
            ),
            beat=health.beat,
        )
        _run_until_stopped(follower, close=close)


def _kafka_topics(*, settings: IngestSettings, live: bool, output: Path | None) -> list[str]:
    """The topics this source needs Kafka to have: none with `-o FILE` and no live rules."""
    topics = Topics(prefix=settings.topic_prefix)
    writes = [topics.raw, topics.positions] if output is None else []
    return writes + ([topics.brand_rules] if live else [])


def _connect(
    *, settings: IngestSettings, static: BrandMatcher, live: bool, key: str, output: Path | None
) -> _Connected:
    """Open the matcher, the sink and (into Kafka) the saved position; BusError, with
    whatever was opened closed again, when Kafka does not answer."""
    stack = contextlib.ExitStack()
    try:
        matcher = stack.enter_context(open_matcher(static=static, settings=settings, live=live))
        if output is not None:
            sink = stack.enter_context(open_sink(settings=settings, output=output))
            return _Connected(stack, matcher, sink, positions=None, start=None)
        # A send that cannot go out within the flush timeout pauses the stream (BusError)
        # instead of holding the event loop, and with it the WebSocket's pings, for a minute.
        bus = open_bus(settings, max_block_s=settings.ingest_flush_timeout_s)
        stack.callback(bus.close)
        topics = Topics(prefix=settings.topic_prefix)
        positions = KafkaPositions(
            bus=bus, bootstrap=settings.kafka_bootstrap, topic=topics.positions, security=settings
        )
        start = positions.load(key)
        bus_sink = BusSink(bus=bus, topics=topics, clock=utc_now)
        return _Connected(stack, matcher, bus_sink, positions=positions, start=start)
    except BaseException:
        stack.close()
        raise


def _run_until_stopped(follower: Follower, *, close: Callable[[], Awaitable[None]] | None) -> None:
    async def main() -> None:
        task = asyncio.ensure_future(follower.run())
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            # Cancelled by a signal: the follower has flushed and saved its position.
            log.info("ingest stream stopped", position=follower.saved)
        finally:
            if close is not None:
                await close()

    asyncio.run(main())
