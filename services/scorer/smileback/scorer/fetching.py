"""How the scorer's Kafka consumer fetches: the by-brand step's records first, and no fetch
held for quiet partitions.

A Faust worker reads both of its topics through one aiokafka consumer in a thread of its
own, and under live traffic that consumer starved the brand step (time to page grew to
seconds at 500 mentions/s and more, while each step was idle most of the time):

- aiokafka hands out buffered records partition by partition in the order they were
  fetched, up to `max_poll_records` a call; raw partitions always had records buffered
  ahead of the by-brand ones, so by-brand records waited until every buffered raw record
  had gone. Here the by-brand partitions go first: the step downstream is drained before
  more work is taken in, so what is already half-scored leaves first.
- aiokafka keeps one fetch per broker in flight, and leaves partitions with buffered
  records out of it. A fetch sent for only the quiet partitions (by-brand between batches,
  the changelogs) was held by the broker for Faust's fixed `fetch_max_wait_ms` of 1.5 s,
  and new raw records could not be fetched meanwhile. Here the broker holds a fetch at most
  `FETCH_MAX_WAIT_MS`; an idle worker then sends 20 small fetches a second, which costs
  the broker nothing worth counting.

Both are private aiokafka and Faust API, pinned with faust-streaming 0.15.3 and aiokafka
0.14, and exercised by tests/scorer/test_fetching.py.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

__all__ = ["FETCH_MAX_WAIT_MS", "DownstreamFirstThread", "downstream_first"]

FETCH_MAX_WAIT_MS = 50


def downstream_first(records: dict[TP, Any], *, downstream: str) -> dict[TP, Any]:
    """`records` (aiokafka's buffered records by partition) with `downstream`'s partitions
    first, each group in its own order."""
    first = {tp: r for tp, r in records.items() if tp.topic == downstream}
    return first | {tp: r for tp, r in records.items() if tp.topic != downstream}


class DownstreamFirstThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread, handing out `downstream`'s records first."""

    downstream: str | None = None

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when its fetcher starts
        return consumer

    async def _fetch_records(
        self,
        consumer: Any,  # aiokafka.AIOKafkaConsumer (aiokafka ships no types)
        active_partitions: set[TP],
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        fetcher = consumer._fetcher
        if self.downstream is not None and fetcher is not None:
            fetcher._records = downstream_first(fetcher._records, downstream=self.downstream)
        return await super()._fetch_records(
            consumer, active_partitions, timeout=timeout, max_records=max_records
        )
