"""The ingest process: replay a JSONL file (or stdin) of mentions onto Kafka."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

import structlog

from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.logging import configure_logging
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.replay import IngestReport, replay
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.settings import IngestSettings

__all__ = ["run"]

log = structlog.get_logger(__name__)

_BOOTSTRAP_TIMEOUT_S = 3.0


def run(*, settings: IngestSettings, input_path: Path) -> IngestReport:
    """Replay `input_path` ("-" for stdin) into the raw topic and return what happened."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    matcher = BrandMatcher.from_terms(settings.brands)
    topics = Topics(prefix=settings.topic_prefix)
    with _binary_input(input_path) as lines:
        # A one-shot replay fails fast when no broker answers at start; once connected, sends
        # ride out a broker restart (see KafkaBus).
        bus = KafkaBus(
            settings.kafka_bootstrap,
            client_id="smileback-ingest",
            bootstrap_timeout_s=_BOOTSTRAP_TIMEOUT_S,
        )
        try:
            log.info("ingest started", input=str(input_path), topic=topics.raw)
            report = replay(
                lines=lines,
                bus=bus,
                topics=topics,
                matcher=matcher,
                seen=SeenIds(),
                clock=utc_now,
            )
            bus.flush()
        finally:
            bus.close()
    log.info("ingest finished", input=str(input_path), **asdict(report))
    return report


@contextlib.contextmanager
def _binary_input(path: Path) -> Iterator[BinaryIO]:
    # Binary, so invalid UTF-8 reaches the parser and the DLQ keeps the exact bytes.
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read input {path}: {exc.strerror}") from exc
    with handle:
        yield handle
