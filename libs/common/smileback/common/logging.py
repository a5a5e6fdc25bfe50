"""Structured logs to stderr, leaving stdout to data: JSON in clusters, readable in a terminal."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import structlog

__all__ = ["ThrottleRepeats", "configure_logging"]

# Clients that log every failed reconnect: during a broker outage, hundreds of lines a minute.
_CHATTY = ("kafka", "aiokafka", "faust", "mode")


class ThrottleRepeats(logging.Filter):
    """Lets one record per (logger, message template) through every `every_s` seconds.

    The outage itself is told by Smileback's own "dependency down"/"dependency back" lines;
    a client library's reconnect attempts repeat the same template many times a second.
    """

    def __init__(
        self, *, every_s: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._every_s, self._monotonic = every_s, monotonic
        self._last: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """True when the record may pass."""
        if not record.name.startswith(_CHATTY):
            return True
        key = (record.name, str(record.msg))
        now = self._monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._every_s:
            return False
        self._last[key] = now
        return True


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging to stderr in one format."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.addFilter(ThrottleRepeats())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs whole request URLs at INFO, and webhook URLs may carry tokens.
    for noisy in ("faust", "mode", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # The Kafka clients log each failed reconnect at ERROR, a dozen lines an outage; Smileback
    # says "dependency down" and "dependency back" instead. At DEBUG they show, throttled.
    for client in ("kafka", "aiokafka"):
        logging.getLogger(client).setLevel(logging.DEBUG if level == "DEBUG" else logging.CRITICAL)
