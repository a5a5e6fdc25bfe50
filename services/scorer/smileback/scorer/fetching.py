"""How the scorer's Kafka consumer fetches: no fetch held long for quiet partitions.

A Faust worker reads both of its topics (and its standby changelogs) through one aiokafka
consumer in a thread of its own. aiokafka keeps one fetch per broker in flight and leaves
partitions with buffered records out of it; Faust fixes the broker's hold of a fetch
(`fetch_max_wait_ms`) at 1.5 s. Under live traffic a fetch sent for only the quiet
partitions (the by-brand topic between batches, the changelogs) was held that long, and
new raw records could not be fetched meanwhile: both scorer steps waited, idle, and time
to page grew to seconds at 500 mentions/s and more. Here the broker holds a fetch at most
`FETCH_MAX_WAIT_MS`; an idle worker then sends 20 small fetches a second, which costs the
broker nothing worth counting.

The consumer's `_fetch_max_wait_ms` is private aiokafka API (pinned aiokafka 0.14 with
faust-streaming 0.15.3), exercised by tests/scorer/test_fetching.py.

Tried and left out: handing the by-brand records out before the raw ones. It kept the
brand step fed under live load, but on a backlog it split both steps into small batches,
which write each state key back more often (about three times the CPU per mention).
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["FETCH_MAX_WAIT_MS", "ShortFetchThread"]

FETCH_MAX_WAIT_MS = 50


class ShortFetchThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread, whose fetches the broker holds 50 ms at most."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when its fetcher starts
        return consumer
