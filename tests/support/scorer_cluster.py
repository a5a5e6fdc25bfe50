"""Helpers for the scorer's integration tests: workers as OS processes, produce, read, metrics."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from kafka import KafkaConsumer, TopicPartition

from smileback.common.events import DlqRecord, ScoredMention, decode
from smileback.common.topics import Topics
from tests.support.infra import free_ports
from tests.support.kafka import behind, committed_offsets, end_offsets
from tests.support.processes import ServiceProcess


def metric(port: int, name: str, labels: str = "") -> float:
    """A sample of the worker's /metrics (0 when absent); `labels` like 'stage="scorer"'."""
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for line in body.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample.split("{", 1)[0] == name and all(p in sample for p in labels.split(",") if p):
            return float(value)
    return 0.0


@dataclass
class Worker:
    """One `smileback scorer` process and its metrics port."""

    process: ServiceProcess
    metrics_port: int

    def metric(self, name: str, labels: str = "") -> float:
        """A sample of this worker's /metrics."""
        return metric(self.metrics_port, name, labels)

    def partitions(self) -> int:
        """Raw-topic partitions this worker owns with its state recovered (0 if unreachable)."""
        try:
            return int(self.metric("smileback_scorer_partitions"))
        except httpx.HTTPError:
            return 0


@dataclass
class Output:
    """Everything read so far from the scored and DLQ topics."""

    scored: list[tuple[bytes | None, ScoredMention]] = field(default_factory=list)
    dead: list[DlqRecord] = field(default_factory=list)

    def ids(self) -> set[str]:
        """Ids of the scored mentions."""
        return {s.id for _, s in self.scored}

    def latest(self) -> dict[str, ScoredMention]:
        """The last scored copy of each mention id."""
        return {s.id: s for _, s in self.scored}


class Reader:
    """A group-less consumer of the scored and DLQ topics from their beginning."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self.topics = topics
        self.output = Output()
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        parts = [
            TopicPartition(name, p)
            for name in (topics.scored, topics.dlq)
            for p in range(topics.all()[name])
        ]
        self._consumer.assign(parts)
        self._consumer.seek_to_beginning(*parts)

    def read(self, timeout_ms: int = 500) -> Output:
        """Poll once and add what arrived."""
        for records in self._consumer.poll(timeout_ms=timeout_ms).values():
            for r in records:
                if r.topic == self.topics.scored:
                    self.output.scored.append((r.key, decode(ScoredMention, r.value)))
                else:
                    self.output.dead.append(decode(DlqRecord, r.value))
        return self.output

    def until(
        self, done: Callable[[Output], bool], *, timeout_s: float, why: Callable[[], str]
    ) -> Output:
        """Read until `done(output)`; fail with `why()` after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not done(self.read()):
            assert time.monotonic() < deadline, why()
        return self.output

    def close(self) -> None:
        """Leave the broker."""
        self._consumer.close()


class Cluster:
    """Scorer workers sharing one app id (consumer group and state) on one topic prefix."""

    def __init__(self, *, bootstrap: str, topics: Topics, tmp_path: Path) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.tmp_path = tmp_path
        self.app_id = f"scorer-test-{uuid.uuid4().hex[:8]}"
        self.workers: list[Worker] = []

    def start(self, name: str, *, env: Mapping[str, str] | None = None) -> Worker:
        """Start one more worker (`env`: settings of its own); it logs to <tmp_path>/<name>.log."""
        (port,) = free_ports(count=1)
        env = {
            "SMILEBACK_KAFKA_BOOTSTRAP": self.bootstrap,
            "SMILEBACK_TOPIC_PREFIX": self.topics.prefix,
            "SMILEBACK_SCORER_APP_ID": self.app_id,
            "SMILEBACK_METRICS_PORT": str(port),
            "SMILEBACK_SCORER_BATCH_SIZE": "50",
            "SMILEBACK_SCORER_BATCH_WITHIN_S": "0.1",
            # Short enough that a killed worker's partitions move within seconds.
            "SMILEBACK_SCORER_SESSION_TIMEOUT_S": "6",
            "SMILEBACK_SCORER_HEARTBEAT_INTERVAL_S": "1",
            "TMPDIR": str(self.tmp_path),  # where Faust puts its data dir
            **(env or {}),
        }
        process = ServiceProcess(args=["scorer"], env=env, log_path=self.tmp_path / f"{name}.log")
        worker = Worker(process.__enter__(), port)
        self.workers.append(worker)
        return worker

    def wait_ready(self, workers: list[Worker], *, timeout_s: float = 60.0) -> None:
        """Wait until `workers` own all raw partitions between them, each at least one."""
        wanted = self.topics.all()[self.topics.raw]
        deadline = time.monotonic() + timeout_s
        while True:
            owned = [w.partitions() for w in workers]
            if sum(owned) == wanted and min(owned) >= 1:
                return
            for w in workers:
                assert w.process.alive(), w.process.tail()
            assert time.monotonic() < deadline, f"partitions owned: {owned}\n" + self.tails()
            time.sleep(0.3)

    def tails(self) -> str:
        """The end of every worker's log."""
        return "\n".join(w.process.tail(lines=30) for w in self.workers)

    def stop(self) -> None:
        """SIGTERM every live worker at once, then wait (SIGKILL after a grace period)."""
        for w in self.workers:
            if w.process.alive() and w.process.proc is not None:
                w.process.proc.send_signal(signal.SIGTERM)
        for w in self.workers:
            w.process.stop()


def lagging(bootstrap: str, group: str, partitions: list[TopicPartition]) -> dict[str, int]:
    """Partitions ("topic:p") whose committed offset in `group` is short of the end, by how much."""
    ends = end_offsets(bootstrap, partitions)
    gaps = behind(ends, committed_offsets(bootstrap, group), partitions)
    return {f"{tp.topic}:{tp.partition}": end - done for tp, (done, end) in gaps.items()}


def wait_committed(cluster: Cluster, *, timeout_s: float) -> None:
    """Wait until the group has committed the end of every raw and by-brand partition."""
    topics = [cluster.topics.raw, f"{cluster.app_id}-mentions-by-brand"]
    count = cluster.topics.all()[cluster.topics.raw]
    parts = [TopicPartition(t, p) for t in topics for p in range(count)]
    deadline = time.monotonic() + timeout_s
    while short := lagging(cluster.bootstrap, cluster.app_id, parts):
        assert time.monotonic() < deadline, f"committed short of the end: {short}\n" + (
            cluster.tails()
        )
        time.sleep(1.0)
