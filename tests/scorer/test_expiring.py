"""Expiring tables: idle keys leave the table a few at each write, with the writing event's
partition current, and a long run keeps the table at its live keys."""

import zlib
from dataclasses import dataclass
from datetime import timedelta

from faust import current_event as faust_current_event

from smileback.common.events import Sentiment
from smileback.scorer.expiring import ExpiringStore
from smileback.scorer.expiry import THREADS, IdleKeys, thread_time
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.tables import Changelogs, current_event
from smileback.scorer.text_scoring import TextScore
from smileback.scorer.threads import ThreadState
from tests.scorer.doubles import CountingScorer, StoreDouble, TableDouble
from tests.support.builders import mention


class _Store(StoreDouble):
    """The threads table's memory store, recording its deletions (or failing them)."""

    def __init__(self):
        super().__init__()
        self.deleted: list[tuple[int, str]] = []
        self.failing = False

    def __delitem__(self, key):
        if self.failing:
            raise RuntimeError("producer buffer full")
        self.deleted.append((faust_current_event().message.partition, key))
        super().__delitem__(key)


@dataclass
class _Message:
    partition: int


class _Event:
    """What a table write needs of the current event: its message's partition."""

    def __init__(self, partition: int) -> None:
        self.message = _Message(partition)


def _store(table: _Store, horizon=THREADS.horizon) -> ExpiringStore[ThreadState]:
    return ExpiringStore(
        table=TableDouble("threads", table),
        model=ThreadState,
        idle=IdleKeys(horizon=horizon),
        time_of=thread_time,
        changelogs=Changelogs(),
    )


def test_a_write_deletes_idle_keys_of_its_own_partition_with_that_partition_current():
    table = _Store()
    store = _store(table, horizon=timedelta(minutes=30))
    with current_event(_Event(0)):
        store.put("old-a", ThreadState(newest=0.0))
        store.put("old-b", ThreadState(newest=60.0))
        store.put("old-c", ThreadState(newest=120.0))
    with current_event(_Event(1)):
        store.put("other", ThreadState(newest=0.0))
    store.flush()
    with current_event(_Event(0)):
        store.put("new", ThreadState(newest=3600.0))
    # At most two per write, the oldest first, on partition 0 only.
    assert table.deleted == [(0, "old-a"), (0, "old-b")]
    store.flush()
    assert set(table) == {"old-c", "other", "new"}
    with current_event(_Event(0)):
        store.put("new", ThreadState(newest=3601.0))
    store.flush()
    assert set(table) == {"other", "new"}


def test_an_idle_key_written_in_the_same_batch_is_not_written_back_after_its_deletion():
    table = _Store()
    store = _store(table, horizon=timedelta(minutes=30))
    with current_event(_Event(0)):
        store.put("old", ThreadState(newest=0.0))  # not flushed yet
        store.put("new", ThreadState(newest=3600.0))  # a replay's batch spans an hour
    store.flush()
    assert set(table) == {"new"}


def test_a_deletion_that_fails_does_not_fail_the_write_and_is_tried_a_horizon_later():
    table = _Store()
    store = _store(table, horizon=timedelta(minutes=30))
    with current_event(_Event(0)):
        store.put("old", ThreadState(newest=0.0))
    store.flush()
    with current_event(_Event(0)):
        table.failing = True
        store.put("new", ThreadState(newest=1801.0))  # "old" is due but cannot go
        assert "old" in table
        table.failing = False
        store.put("new", ThreadState(newest=3000.0))  # tried again only a horizon later
        assert "old" in table
        store.put("new", ThreadState(newest=1801.0 + 1801))
    assert "old" not in table
    assert table.deleted == [(0, "old")]


def test_a_read_keeps_a_key_that_records_no_time_of_its_own():
    table = _Store()
    store = _store(table, horizon=timedelta(minutes=30))
    with current_event(_Event(0)):
        store.put("root-only", ThreadState(root_reach=0.5))  # before any clock
        store.put("t", ThreadState(newest=0.0))
        store.put("t", ThreadState(newest=1500.0))
        assert store.get("root-only") == ThreadState(root_reach=0.5)  # read at 1500
        assert store.get("missing") is None
        store.put("t", ThreadState(newest=2000.0))
    store.flush()
    assert "root-only" in table  # touched at 1500: idle 500 s
    with current_event(_Event(0)):
        store.put("t", ThreadState(newest=1500.0 + 1801))
    assert "root-only" not in table


def test_a_long_run_keeps_the_table_at_its_live_threads_and_changes_no_score():
    """8 simulated hours: every minute 2 new threads, each with a root and a negative reply
    a minute for its first 10 minutes, then silence. 960 threads come and go; the table
    keeps those of the last horizon and a bit, and every score is what it would be without
    expiry."""
    text = TextScore(0.9, True, Sentiment.NEGATIVE)
    pipeline = ScoringPipeline(scorer=CountingScorer())
    table = _Store()
    expiring = _store(table)
    plain: dict[str, ThreadState] = {}

    class _Plain:
        def get(self, key):
            return plain.get(key)

        def put(self, key, value):
            plain[key] = value

    new_per_minute, life, minutes = 2, 10, 8 * 60
    horizon_minutes = THREADS.horizon / timedelta(minutes=1)
    bound = new_per_minute * (life + horizon_minutes + 2)
    largest = 0
    for minute in range(minutes):
        batch = [mention(f"root-{minute}-{i}", minutes=minute) for i in range(new_per_minute)]
        batch += [
            mention(f"reply-{start}-{i}-{minute}", "bad", root=f"root-{start}-{i}", minutes=minute)
            for start in range(max(0, minute - life + 1), minute + 1)
            for i in range(new_per_minute)
        ]
        for m in batch:
            partition = zlib.crc32(m.root_id.encode()) % 4
            with current_event(_Event(partition)):
                got = pipeline.thread_step(
                    mention=m, text=text, now=m.created_at, threads_store=expiring
                )
            want = pipeline.thread_step(
                mention=m, text=text, now=m.created_at, threads_store=_Plain()
            )
            assert got.scored.scores == want.scored.scores
        expiring.flush()
        largest = max(largest, len(table))
    assert len(plain) == new_per_minute * minutes
    assert len(table.deleted) + len(table) == len(plain)  # each thread is deleted or still live
    assert new_per_minute * (life + horizon_minutes) <= largest <= bound
    assert len(table) <= bound
