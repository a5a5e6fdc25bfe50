"""A consumer loop's view for operators: its lag per partition on /metrics, and whether it
owns partitions and keeps polling them, for readiness.

The loop calls `observe` after each poll; the lag is read from the broker at most every
`every_s` (one offsets request), not per record. `problem` answers readiness from what the
last reading found, without waiting on the broker.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping

import structlog

from smileback.common.bus import Consumer
from smileback.common.errors import BusError
from smileback.common.metrics import CONSUMER_LAG

__all__ = ["CONSUMER", "ConsumerWatch"]

log = structlog.get_logger(__name__)

CONSUMER = "consumer"  # the readiness check a worker requires of its consumer


class ConsumerWatch:
    """The lag gauges of one consumer group, and its consumer's readiness."""

    def __init__(
        self,
        *,
        group: str,
        every_s: float = 5.0,
        stale_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`stale_s`: how long the loop may go without polling before it is not ready."""
        self._group = group
        self._every_s = every_s
        self._stale_s = stale_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._read_at: float | None = None  # when the lag was last read
        self._polled_at: float | None = None
        self._shown: set[tuple[str, int]] = set()

    def observe(self, consumer: Consumer) -> None:
        """The loop polled `consumer`; read its lag when the last reading is `every_s` old."""
        now = self._monotonic()
        self._polled_at = now
        if self._read_at is not None and now - self._read_at < self._every_s:
            return
        self._read_at = now
        try:
            lag = consumer.lag()
        except BusError as exc:
            # The poll itself reports a broker outage; a missed reading only leaves the
            # gauges where they were.
            log.debug("consumer lag not read", group=self._group, error=str(exc)[:300])
            return
        self.show(lag)

    def show(self, lag: Mapping[tuple[str, int], int]) -> None:
        """The lag of every partition the consumer owns now, read by the caller (the Faust
        scorer reads its own); a partition left out is no longer this consumer's."""
        with self._lock:
            self._polled_at = self._monotonic()
            for (topic, partition), records in lag.items():
                CONSUMER_LAG.labels(group=self._group, topic=topic, partition=str(partition)).set(
                    records
                )
            self._drop(self._shown - lag.keys())
            self._shown = set(lag)

    def forget(self) -> None:
        """The consumer left its group: its partitions' series go until it reads again."""
        with self._lock:
            self._drop(self._shown)
            self._shown = set()
            self._read_at = self._polled_at = None

    def problem(self) -> str | None:
        """None while the consumer owns partitions and polls them, else what is wrong."""
        polled = self._polled_at
        if polled is None:
            return "not polling yet"
        silent_s = self._monotonic() - polled
        if silent_s > self._stale_s:
            return f"not polled for {silent_s:.0f} s"
        return None if self._shown else "no partitions assigned"

    def _drop(self, partitions: set[tuple[str, int]]) -> None:
        # A partition this member lost is another member's to report: no stale series.
        for topic, partition in partitions:
            with contextlib.suppress(KeyError):  # another watch of the group removed it
                CONSUMER_LAG.remove(self._group, topic, str(partition))
