"""What one benchmark run measured, as plain values, and its JSON form (pure)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from benchmarks.e2e.stats import Point, Spread

__all__ = [
    "Ceiling",
    "LevelResult",
    "Results",
    "Usage",
    "VolumeResult",
    "by_service",
    "service_of",
    "to_json",
]

SERVICES = ("ingest", "scorer", "alerts", "api")


@dataclass(frozen=True)
class Usage:
    """One service process over a phase: CPU seconds (user + system) and peak resident MB."""

    cpu_s: float
    peak_rss_mb: float


def service_of(process: str) -> str:
    """The service a process runs: `scorer-2`, the second scorer worker, runs `scorer`."""
    return process.partition("-")[0]


def by_service(usage: dict[str, Usage]) -> dict[str, Usage]:
    """Each process's usage summed per service: its workers' CPU together, and the memory of
    its largest worker (the limit is a process's)."""
    services: dict[str, Usage] = {}
    for process, used in usage.items():
        name = service_of(process)
        known = services.get(name)
        services[name] = (
            used
            if known is None
            else Usage(
                cpu_s=known.cpu_s + used.cpu_s,
                peak_rss_mb=max(known.peak_rss_mb, used.peak_rss_mb),
            )
        )
    return services


@dataclass(frozen=True)
class Ceiling:
    """Raw kafka-python through the same broker: the generated values produced with the
    ingest's producer settings, then consumed from the start."""

    count: int
    produce_per_s: float
    consume_per_s: float

    @property
    def per_s(self) -> float:
        """The slower leg: a pipeline has to both produce and consume every record."""
        return min(self.produce_per_s, self.consume_per_s)


@dataclass(frozen=True)
class VolumeResult:
    """One volume fed as fast as ingest takes it, through services started fresh for it."""

    volume: int  # mentions generated
    expected: int  # of them with a brand term: what must be stored
    stored: int  # what was stored when the phase ended
    ingest_s: float  # wall time of `smileback ingest replay`
    stored_per_s: float | None  # expected / (last row stored - feed started)
    sustained_stored_per_s: float | None  # between 10 % and 90 % stored
    sustained_scored_per_s: float | None  # mentions.scored, between 10 % and 90 %
    latency: Spread | None  # ingested_at -> row stored, seconds
    usage: dict[str, Usage]
    stored_series: list[Point] = field(default_factory=list)
    scored_series: list[Point] = field(default_factory=list)

    @property
    def ingest_per_s(self) -> float:
        return self.volume / self.ingest_s if self.ingest_s > 0 else 0.0

    @property
    def complete(self) -> bool:
        return self.stored >= self.expected

    def cpu_ms_per_mention(self, service: str) -> float | None:
        """CPU milliseconds of `service` per mention stored; None when nothing was stored."""
        return _per_mention(self.usage.get(service), self.stored)


def _per_mention(usage: Usage | None, stored: int) -> float | None:
    if usage is None or stored == 0:
        return None
    return 1000 * usage.cpu_s / stored


@dataclass(frozen=True)
class LevelResult:
    """Background mentions offered at `rate` per second for a while, with probes among them."""

    rate: float  # offered, mentions per second
    seconds: float
    offered: int  # background mentions written, probes included
    stored_per_s: float | None  # what the store kept up with during the window
    probes: int
    paged: int  # probes whose page arrived
    time_to_page: Spread | None  # probe written -> page received, seconds
    latency: Spread | None  # ingested_at -> row stored, seconds, the level's mentions
    drained: bool  # the store caught up with everything offered before the wait gave up
    stored: int = 0  # rows stored from the level's start until its wait ended
    # Each service's CPU from the level's start until its wait ended: the live cost.
    usage: dict[str, Usage] = field(default_factory=dict)
    # The machine's cores busy on average while the level was fed (every process).
    busy_cores: float | None = None
    # Per hop of time to page, in order (hops.HOPS): its durations over the probes seen at
    # both of its ends, seconds.
    hops: dict[str, Spread | None] = field(default_factory=dict)

    def cpu_ms_per_mention(self, service: str) -> float | None:
        """CPU milliseconds of `service` per row stored during the level: the live cost,
        batches as small as the traffic makes them."""
        return _per_mention(self.usage.get(service), self.stored)


@dataclass(frozen=True)
class Results:
    """Everything one run measured, with where and when."""

    machine: dict[str, Any]
    seed: int
    ceiling: Ceiling | None
    volumes: list[VolumeResult]
    levels: list[LevelResult]

    @property
    def main(self) -> VolumeResult | None:
        """The largest volume: the one the table and the ratio quote."""
        return max(self.volumes, key=lambda v: v.volume, default=None)


def to_json(results: Results) -> dict[str, Any]:
    """The results as JSON-ready values, with the derived figures the table shows."""
    body: dict[str, Any] = dataclasses.asdict(results)
    for raw, volume in zip(body["volumes"], results.volumes, strict=True):
        raw["ingest_per_s"] = volume.ingest_per_s
        raw["complete"] = volume.complete
        raw["cpu_ms_per_mention"] = {s: volume.cpu_ms_per_mention(s) for s in volume.usage}
    for raw, level in zip(body["levels"], results.levels, strict=True):
        raw["cpu_ms_per_mention"] = {s: level.cpu_ms_per_mention(s) for s in level.usage}
    if results.ceiling is not None:
        body["ceiling"]["per_s"] = results.ceiling.per_s
        main = results.main
        if main is not None and main.stored_per_s is not None:
            body["pipeline_to_ceiling"] = main.stored_per_s / results.ceiling.per_s
    return body
