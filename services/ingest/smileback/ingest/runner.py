"""The ingest process: replay a JSONL or CSV file (or stdin) of mentions into a sink."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog

from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.logging import configure_logging
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.inputs import InputFormat, format_of, is_regular_file, open_input, records
from smileback.ingest.live import live_rules_on, open_matcher, static_rules
from smileback.ingest.mapping import FieldMap
from smileback.ingest.pacing import Pacer
from smileback.ingest.replay import IngestReport, replay
from smileback.ingest.settings import IngestSettings
from smileback.ingest.sinks import BusSink, FileSink, Sink

__all__ = ["ReplayOptions", "open_bus", "open_sink", "run_replay"]

log = structlog.get_logger(__name__)

_BOOTSTRAP_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ReplayOptions:
    """What `smileback ingest replay` was asked to do (speed None: as fast as possible)."""

    input_path: Path
    fmt: InputFormat | None = None
    mapping: FieldMap | None = None
    speed: float | None = None
    progress: bool = False


def run_replay(
    *, settings: IngestSettings, options: ReplayOptions, output: Path | None
) -> IngestReport:
    """Replay the input into Kafka, or into `output` ("-" for stdout); what happened."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    fmt = format_of(options.input_path, options.fmt)
    pace = (
        None
        if options.speed is None
        else Pacer(speed=options.speed, monotonic=time.monotonic, sleep=time.sleep)
    )
    static = static_rules(settings)
    live = live_rules_on(settings=settings, output=output)
    with (
        open_input(options.input_path, progress=options.progress) as handle,
        open_matcher(static=static, settings=settings, live=live) as matcher,
        open_sink(settings=settings, output=output) as sink,
    ):
        log.info("ingest started", input=str(options.input_path), format=str(fmt))
        report = replay(
            lines=records(handle, fmt),
            sink=sink,
            matcher=matcher,
            seen=SeenIds(),
            clock=utc_now,
            mapping=options.mapping,
            pace=pace,
            grouped=is_regular_file(handle),
        )
        sink.flush()
    log.info("ingest finished", input=str(options.input_path), **asdict(report))
    return report


@contextlib.contextmanager
def open_sink(*, settings: IngestSettings, output: Path | None) -> Iterator[Sink]:
    """A FileSink on `output` ("-": stdout), else a BusSink producing to Kafka."""
    if output is not None:
        if str(output) == "-":
            yield FileSink(out=sys.stdout.buffer, err=sys.stderr)
            return
        try:
            handle = output.open("wb")
        except OSError as exc:
            raise ConfigError(f"cannot write output {output}: {exc.strerror}") from exc
        with handle:
            yield FileSink(out=handle, err=sys.stderr)
        return
    bus = open_bus(settings)
    try:
        yield BusSink(bus=bus, topics=Topics(prefix=settings.topic_prefix), clock=utc_now)
    finally:
        bus.close()


def open_bus(settings: IngestSettings, *, max_block_s: float = 60.0) -> KafkaBus:
    """The ingest producer; BusError when no broker answers at start. `max_block_s`: see
    KafkaBus (a streaming source's event loop must not stall a minute on one send)."""
    # A source fails fast when no broker answers at start; once connected, sends ride out
    # a broker restart (see KafkaBus).
    return KafkaBus(
        settings.kafka_bootstrap,
        client_id="smileback-ingest",
        bootstrap_timeout_s=_BOOTSTRAP_TIMEOUT_S,
        compression=None if settings.ingest_compression == "none" else settings.ingest_compression,
        max_block_s=max_block_s,
        security=settings,
    )
