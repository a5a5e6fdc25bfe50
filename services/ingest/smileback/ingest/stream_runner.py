"""The ingest process of a streaming source: resume position from Kafka, follow, stop on
SIGTERM. With `-o FILE` there is no Kafka: the stream starts from now and nothing is saved."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
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
from smileback.ingest.sources.mastodon import instance_host
from smileback.ingest.streams.mastodon import MastodonStream
from smileback.ingest.streams.mastodon_api import parse_stream

__all__ = ["MastodonOptions", "mastodon_key", "run_mastodon"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MastodonOptions:
    """What `smileback ingest mastodon` was asked to follow."""

    instance: str
    stream: str


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


def _follow(
    *,
    settings: IngestSettings,
    key: str,
    open_stream: Callable[[str | None], Resumable],
    output: Path | None,
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
                )
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
            )
        )
    finally:
        bus.close()


def _run_until_stopped(follower: Follower) -> None:
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

    asyncio.run(main())
