"""Structured logs to stderr, leaving stdout to data: JSON in clusters, readable in a terminal."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import structlog

__all__ = ["ThrottleRepeats", "configure_logging", "mask_url"]

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
    """Route structlog and stdlib logging to stderr in one format.

    Every record with an exception, structlog's or a library's (uvicorn's "Exception in ASGI
    application", Faust's), gets its traceback without local variables: a frame's locals hold
    tokens, keys and settings. JSON lines carry it as a list of frames under `exception`.
    """
    rendering: list[structlog.types.Processor] = (
        [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.JSONRenderer(),
        ]
        if fmt == "json"
        else [
            # Python's own traceback text: rich's pretty one highlights the code of every frame,
            # seconds per traceback through the API's stack.
            structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        ]
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
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
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


def mask_url(url: str) -> str:
    """`url` with the password of its user part shown as `***`; any other string unchanged.

    For every URL that is printed: a database URL carries its password there.
    """
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:  # e.g. an unclosed "[" in the host: whatever it is, show none of it
        return "***"
    if not has_password:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
