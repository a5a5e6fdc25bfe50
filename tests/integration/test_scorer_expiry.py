"""Idle keys on the real broker: a scorer worker on RocksDB deletes a thread, an author and a
brand once mentions 14 hours later have moved their partitions' event clock past the
horizons, and each deletion is a tombstone on the table's changelog; live keys stay. A
worker started afterwards restores the live keys from the changelogs and expires them in
turn."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smileback.common.events import Mention
from smileback.common.topics import Topics
from tests.support.kafka import produce, read_keyed
from tests.support.scorer_cluster import Cluster, Reader

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=14)  # past the threads' 30 minutes and the brands' 13 hours
COMPLAINT = "This is awful, the worst service ever, I hate it"
BRANDS = 60  # enough that the later mentions reach every by-brand partition
WAIT_S = 60.0


def _thread(root: str, *, brand: str, author: str, at: datetime) -> list[Mention]:
    """A root complaint and one negative reply, both of `brand`."""
    return [
        Mention(id=root, text=COMPLAINT, brand=brand, created_at=at, author={"id": author}),
        Mention(
            id=f"{root}:r",
            text=COMPLAINT,
            brand=brand,
            created_at=at + timedelta(seconds=10),
            thread={"root_id": root, "parent_id": root},
            author={"id": author},
        ),
    ]


def _threads(run: str, phase: str, *, at: datetime) -> list[Mention]:
    """BRANDS threads of `phase`, one per brand and author (the same ones in every phase)."""
    return [
        m
        for n in range(BRANDS)
        for m in _thread(f"{run}:{phase}{n}", brand=f"{run}:b{n}", author=f"{run}:a{n}", at=at)
    ]


def _scored(reader: Reader, cluster: Cluster, mentions: list[Mention]) -> None:
    ids = {m.id for m in mentions}
    reader.until(lambda out: ids <= out.ids(), timeout_s=WAIT_S, why=cluster.tails)


def _tombstoned(bootstrap: str, topic: str) -> set[str]:
    """Keys whose last record on the changelog `topic` is a tombstone."""
    last: dict[str, bytes | None] = {}
    for key, value in read_keyed(bootstrap, topic):
        assert key is not None
        last[json.loads(key)] = value
    return {key for key, value in last.items() if value is None}


def _wait_tombstoned(cluster: Cluster, wanted: dict[str, set[str]]) -> None:
    """Wait until the keys tombstoned on each table's changelog are `wanted[table]` (Faust
    flushes its changelog writes at each commit)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = {
            table: _tombstoned(cluster.bootstrap, f"{cluster.app_id}-{table}-changelog")
            for table in wanted
        }
        if found == wanted:
            return
        assert time.monotonic() < deadline, (found, cluster.tails())
        time.sleep(1.0)


def test_keys_idle_past_their_horizon_are_deleted_with_a_tombstone_on_their_changelog(
    kafka_bootstrap: str, topics: Topics, reader: Reader, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    old = _thread(f"{run}:old", brand=f"{run}:quiet", author=f"{run}:gone", at=T0)
    later = _threads(run, "t", at=LATER)
    cluster = Cluster(bootstrap=kafka_bootstrap, topics=topics, tmp_path=tmp_path)
    worker = cluster.start("scorer")
    try:
        for batch in (old, later):
            produce(kafka_bootstrap, topics.raw, [(m.root_id, m) for m in batch])
            _scored(reader, cluster, batch)

        wanted = {
            "threads": {f"{run}:old"},
            "authors": {f"{run}:quiet\x00{run}:gone"},
            "brands": {f"{run}:quiet"},
        }
        _wait_tombstoned(cluster, wanted)  # the idle keys went, and no live one
        for table in wanted:
            expired = worker.metric("smileback_scorer_expired_keys_total", f'table="{table}"')
            assert expired == 1
        cluster.stop()
        assert worker.process.proc is not None
        assert worker.process.proc.returncode == 0, worker.process.tail()
        assert list(tmp_path.glob(f"{cluster.app_id}-*")) == []  # its data dir went with it

        # A new worker restores the live threads from the changelog; they expire there too.
        restarted = cluster.start("restarted")
        cluster.wait_ready([restarted])
        again = _threads(run, "again", at=LATER + timedelta(hours=14))
        # Two later phases, not one: each write sweeps at most two keys, only a reply moves
        # a partition's clock, and the keys due here (later and again) are about as many as
        # one phase's replies; by hash, some partition would get more due keys than sweeps.
        last = _threads(run, "last", at=LATER + timedelta(hours=15))
        final = _threads(run, "final", at=LATER + timedelta(hours=15, minutes=1))
        for batch in (again, last, final):
            produce(kafka_bootstrap, topics.raw, [(m.root_id, m) for m in batch])
            _scored(reader, cluster, batch)
        _wait_tombstoned(cluster, {"threads": {m.root_id for m in old + later + again}})
    finally:
        cluster.stop()
