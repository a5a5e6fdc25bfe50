"""The ingest process of a streaming source: resume position from Kafka, follow, stop on
SIGTERM. With `-o FILE` there is no Kafka: the stream starts from now and nothing is saved.

Jetstream's signals are not mentions: `identity` events already fed the stream's handle
cache, and an `account` event deletes nothing (see sources/jetstream.py), so both are
counted as skipped; a deactivation is logged. Its position is saved as JSON text,
`{"time_us": …, "cursor": …}` (cursor only from a v2 server).
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.logging import configure_logging
from smileback.common.topics import Topics
from smileback.ingest.follow import Checkpoints, Follower, Resumable
from smileback.ingest.positions import KafkaPositions, Positions
from smileback.ingest.rules import BrandMatcher
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

    _follow(settings=settings, key=key, open_stream=open_stream, output=output)


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


def _follow(
    *,
    settings: IngestSettings,
    key: str,
    open_stream: Callable[[str | None], Resumable],
    output: Path | None,
    close: Callable[[], Awaitable[None]] | None = None,
) -> None:
    matcher = BrandMatcher.from_terms(settings.brands)
    checkpoints = Checkpoints(
        every_n=settings.ingest_checkpoint_every_n,
        every_s=settings.ingest_checkpoint_every_s,
        flush_timeout_s=settings.ingest_flush_timeout_s,
    )
    if output is not None:
        with open_sink(settings=settings, output=output) as sink:
            _run_until_stopped(
                Follower(
                    open_stream=open_stream,
                    sink=sink,
                    matcher=matcher,
                    key=key,
                    positions=None,
                    start=None,
                    checkpoints=checkpoints,
                ),
                close=close,
            )
        return
    bus = open_bus(settings)
    try:
        topics = Topics(prefix=settings.topic_prefix)
        positions: Positions = KafkaPositions(
            bus=bus, bootstrap=settings.kafka_bootstrap, topic=topics.positions
        )
        start = positions.load(key)
        log.info("ingest stream started", source=key, resume_from=start)
        bus_sink: Sink = BusSink(bus=bus, topics=topics, clock=utc_now)
        _run_until_stopped(
            Follower(
                open_stream=open_stream,
                sink=bus_sink,
                matcher=matcher,
                key=key,
                positions=positions,
                start=start,
                checkpoints=checkpoints,
            ),
            close=close,
        )
    finally:
        bus.close()


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
