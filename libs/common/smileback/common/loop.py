"""The consume-handle-flush-commit loop every bus-driven service runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from smileback.common.bus import Bus, Consumer, Record
from smileback.common.lag import ConsumerWatch

__all__ = ["Handler", "pump", "run_until_stopped"]

Handler = Callable[[Sequence[Record]], None]


def pump(
    *,
    consumer: Consumer,
    bus: Bus,
    handler: Handler,
    max_records: int = 500,
    timeout_s: float = 0.0,
) -> int:
    """Handle one poll's worth of records; commit only after the outputs are flushed."""
    records = consumer.poll(max_records=max_records, timeout_s=timeout_s)
    if records:
        handler(records)
        bus.flush()
        consumer.commit()
    return len(records)


def run_until_stopped(
    *,
    consumer: Consumer,
    bus: Bus,
    handler: Handler,
    stop: threading.Event,
    max_records: int = 500,
    on_progress: Callable[[], None] | None = None,
    watch: ConsumerWatch | None = None,
) -> None:
    """Pump until `stop` is set, then leave the group; `on_progress` after each good pass,
    and `watch` shown each poll (it reads the lag now and then)."""
    try:
        while not stop.is_set():
            pump(
                consumer=consumer, bus=bus, handler=handler, max_records=max_records, timeout_s=0.5
            )
            if watch is not None:
                watch.observe(consumer)
            if on_progress is not None:
                on_progress()
    finally:
        if watch is not None:
            watch.forget()
        consumer.close()
