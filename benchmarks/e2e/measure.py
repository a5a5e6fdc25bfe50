"""Reading the running system: rows stored, records on a topic, CPU and peak memory of a process
(from /proc, Linux), and the store's own timestamps for latency."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from benchmarks.e2e.results import Usage
from benchmarks.e2e.stats import Point, Spread

__all__ = [
    "Monitor",
    "PeakWatch",
    "ProcStat",
    "Store",
    "TopicCounter",
    "busy_cores",
    "machine_ticks",
    "monitoring",
    "proc_stat",
]

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    """A process's CPU seconds so far (user + system) and its peak resident MB so far."""

    cpu_s: float
    peak_rss_mb: float


def proc_stat(pid: int) -> ProcStat | None:
    """From /proc/<pid>/stat and status; None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name may hold spaces: the fields that follow start after its ")".
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as status:
            hwm = next((line for line in status if line.startswith("VmHWM:")), "VmHWM: 0 kB")
    except (FileNotFoundError, ProcessLookupError):
        return None
    utime, stime = int(fields[11]), int(fields[12])
    return ProcStat(cpu_s=(utime + stime) / _TICKS, peak_rss_mb=int(hwm.split()[1]) / 1024)


def machine_ticks() -> tuple[int, int]:
    """The machine's CPU time so far, in clock ticks over all cores: (busy, total), from the
    first line of /proc/stat (idle and iowait count as not busy)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    total = sum(fields[:8])  # guest time is already counted in user and nice
    return total - fields[3] - fields[4], total


def busy_cores(before: tuple[int, int], after: tuple[int, int], *, cores: int) -> float | None:
    """How many of the machine's `cores` were busy on average between two `machine_ticks`
    readings: every process counts, the broker, PostgreSQL and this harness too."""
    busy, total = after[0] - before[0], after[1] - before[1]
    return cores * busy / total if total > 0 else None


_PEAK_EVERY_S = 0.1


class PeakWatch:
    """The process's peak resident memory, read from /proc while it runs.

    Not `ru_maxrss` from wait4: Linux carries the high-water mark of the forked image over
    the exec, so a child of this (large) harness would report the harness's own peak. The
    kernel's VmHWM belongs to the exec'd image alone and only grows; it is gone once the
    process exits, so it is read every `_PEAK_EVERY_S` and the last reading kept.
    """

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="peak-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            reading = proc_stat(self._pid)
            if reading is not None:
                self.peak_mb = max(self.peak_mb, reading.peak_rss_mb)
            if self._stop.wait(_PEAK_EVERY_S):
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def usage_between(before: ProcStat | None, after: ProcStat | None) -> Usage | None:
    """CPU spent between two readings of one process, and its peak memory at the second."""
    if before is None or after is None:
        return None
    return Usage(cpu_s=after.cpu_s - before.cpu_s, peak_rss_mb=after.peak_rss_mb)


class Store:
    """The api's PostgreSQL store, read-only: rows in `mentions`, and their latency."""

    def __init__(self, database_url: str) -> None:
        self._engine: Engine = create_engine(database_url, poolclass=NullPool)

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM mentions")).scalar_one())

    def latency(self, *, id_prefix: str) -> Spread | None:
        """ingested_at (stamped by ingest) to updated_at (stamped by the projector's write) of
        the rows whose id starts with `id_prefix`."""
        query = text(
            "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY d), min(d), max(d) FROM ("
            " SELECT extract(epoch FROM updated_at - ingested_at) AS d FROM mentions"
            " WHERE id LIKE :pattern AND ingested_at IS NOT NULL) AS latencies"
        )
        with self._engine.connect() as connection:
            n, p50, p99, low, high = connection.execute(
                query, {"pattern": id_prefix.replace("%", r"\%") + "%"}
            ).one()
        if not n:
            return None
        return Spread(n=int(n), p50=float(p50), p99=float(p99), min=float(low), max=float(high))

    def close(self) -> None:
        self._engine.dispose()


class TopicCounter:
    """Records on a topic so far: the sum of its partitions' end offsets."""

    def __init__(self, *, bootstrap: str, topic: str) -> None:
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="bench-e2e-offsets")
        self._partitions = [
            TopicPartition(topic, p) for p in sorted(self._consumer.partitions_for_topic(topic))
        ]

    def count(self) -> int:
        return sum(self._consumer.end_offsets(self._partitions).values())

    def close(self) -> None:
        self._consumer.close()


@dataclass
class Monitor:
    """Samples the counters every `interval_s` in a thread; prints progress every few seconds."""

    counters: Mapping[str, Callable[[], int]]
    interval_s: float = 1.0
    progress: Callable[[Mapping[str, int], float], str] | None = None
    series: dict[str, list[Point]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    _stop: threading.Event = field(default_factory=threading.Event)

    def latest(self, name: str) -> int:
        points = self.series.get(name)
        return points[-1].count if points else 0

    def sample(self) -> None:
        t = time.monotonic() - self.started
        for name, read in self.counters.items():
            with contextlib.suppress(Exception):  # a blinking dependency costs one sample
                self.series.setdefault(name, []).append(Point(t=t, count=read()))

    def run(self) -> None:
        last_print = 0.0
        while not self._stop.wait(self.interval_s):
            self.sample()
            now = time.monotonic() - self.started
            if self.progress is not None and now - last_print >= 5:
                latest = {name: self.latest(name) for name in self.counters}
                print(self.progress(latest, now), file=sys.stderr, flush=True)
                last_print = now

    def stop(self) -> None:
        self._stop.set()


@contextlib.contextmanager
def monitoring(monitor: Monitor) -> Iterator[Monitor]:
    """Run the monitor's thread for the duration of the block; one last sample at the end."""
    monitor.sample()
    thread = threading.Thread(target=monitor.run, name="monitor", daemon=True)
    thread.start()
    try:
        yield monitor
    finally:
        monitor.stop()
        thread.join()
        monitor.sample()
