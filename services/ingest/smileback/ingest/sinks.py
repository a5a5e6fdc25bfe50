"""Where ingest puts what it accepted: the raw topic, or Mention JSON lines in a file.

Contract: `write` takes a normalised, brand-matched mention; `reject` takes an input record
that could not become one (`number` counts the input's records from 1); `flush` returns
once everything written is durable where the sink puts it. Every source writes through a
Sink, so `-o FILE` shows exactly what would have been produced to Kafka.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import BinaryIO, TextIO

from smileback.common.bus import Bus
from smileback.common.clock import Clock
from smileback.common.dlq import send_to_dlq
from smileback.common.events import Mention, encode
from smileback.common.topics import Topics

__all__ = ["STAGE", "BusSink", "FileSink", "Sink"]

STAGE = "ingest"


class Sink(ABC):
    """Takes mentions and rejected records."""

    @abstractmethod
    def write(self, mention: Mention) -> None:
        """Queue one mention."""

    @abstractmethod
    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        """Record one input record that is not a mention, and why."""

    @abstractmethod
    def flush(self, timeout_s: float | None = None) -> None:
        """Block until everything queued is durable; BusError if that takes over `timeout_s`."""


class BusSink(Sink):
    """Mentions to the raw topic keyed by thread root (one conversation, one partition);
    rejected records to the DLQ with their exact bytes."""

    def __init__(self, *, bus: Bus, topics: Topics, clock: Clock) -> None:
        self._bus = bus
        self._topics = topics
        self._clock = clock

    def write(self, mention: Mention) -> None:
        self._bus.publish(self._topics.raw, key=mention.root_id, value=encode(mention))

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        send_to_dlq(
            bus=self._bus,
            topics=self._topics,
            clock=self._clock,
            stage=STAGE,
            error=error,
            raw=raw,
            source_id=source_id,
        )

    def flush(self, timeout_s: float | None = None) -> None:
        self._bus.flush(timeout_s)


class FileSink(Sink):
    """Mention JSON lines to `out`; a rejected record is one line on `err` naming its number."""

    def __init__(self, *, out: BinaryIO, err: TextIO) -> None:
        self._out = out
        self._err = err

    def write(self, mention: Mention) -> None:
        self._out.write(encode(mention) + b"\n")

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        self._err.write(f"record {number}: {error}\n")

    def flush(self, timeout_s: float | None = None) -> None:
        self._out.flush()
        self._err.flush()
