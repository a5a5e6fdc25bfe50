"""The two measurements on a running stack: a volume at full speed, and load levels with probes."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.e2e.feed import paced, replay_file
from benchmarks.e2e.generator import BRANDS, Probe, generate, large_complaint
from benchmarks.e2e.hops import Trail, breakdown, by_key, first_seen
from benchmarks.e2e.measure import (
    Monitor,
    ProcStat,
    Store,
    TopicCounter,
    busy_cores,
    machine_ticks,
    monitoring,
    proc_stat,
    usage_between,
)
from benchmarks.e2e.results import LevelResult, Usage, VolumeResult, by_service
from benchmarks.e2e.spy import Attach, profiling
from benchmarks.e2e.stack import Pages, Services
from benchmarks.e2e.stats import reached_at, spread, sustained_rate
from smileback.common.topics import Topics

__all__ = ["Stack", "run_level", "run_volume", "write_mentions"]

_POLL_S = 0.5


@dataclass(frozen=True)
class Stack:
    """A running pipeline and the handles the measurements read it through."""

    services: Services
    bootstrap: str
    pages: Pages
    store: Store
    log_dir: Path
    stall_s: float  # no new row stored for this long ends a wait
    profiles: Path | None = None  # with `--profile`: py-spy's recordings, a folder per phase

    def profiling(self, phase: str) -> contextlib.AbstractContextManager[Attach]:
        """py-spy on the services for a phase (when profiling); yields how to add the feeder."""
        return profiling(
            out_dir=self.profiles / phase if self.profiles is not None else None,
            pids={name: p.pid for name, p in self.services.processes.items()},
        )


def write_mentions(*, path: Path, total: int, seed: int, prefix: str) -> int:
    """Write `total` generated mentions as JSON lines; returns how many name a brand."""
    branded = 0
    with path.open("wb") as out:
        for g in generate(total=total, seed=seed, start=datetime.now(UTC), prefix=prefix):
            out.write(g.line + b"\n")
            branded += g.brand is not None
    return branded


def _progress(target: int) -> Callable[[Mapping[str, int], float], str]:
    def line(latest: Mapping[str, int], t: float) -> str:
        counts = "  ".join(f"{name} {count:,}" for name, count in latest.items())
        return f"  {t:6.0f} s  {counts}  (to store: {target:,})"

    return line


def _wait_stored(*, stack: Stack, monitor: Monitor, target: int, done: Callable[[], bool]) -> None:
    """Until `target` rows are stored and `done()`, or nothing new was stored for a while."""
    last, last_change = -1, time.monotonic()
    while True:
        stored = monitor.latest("stored")
        if stored >= target and done():
            return
        if stored != last:
            last, last_change = stored, time.monotonic()
        elif time.monotonic() - last_change > stack.stall_s:
            print(f"  gave up: no new row for {stack.stall_s:.0f} s", file=sys.stderr)
            return
        time.sleep(_POLL_S)


def _readings(stack: Stack) -> dict[str, ProcStat | None]:
    return {name: proc_stat(p.pid) for name, p in stack.services.processes.items()}


def _usage(stack: Stack, before: Mapping[str, ProcStat | None]) -> dict[str, Usage]:
    usage: dict[str, Usage] = {}
    for name, after in _readings(stack).items():
        measured = usage_between(before.get(name), after)
        if measured is not None:
            usage[name] = measured
    return by_service(usage)


def run_volume(
    *, stack: Stack, path: Path, volume: int, expected: int, id_prefix: str
) -> VolumeResult:
    """Replay the file at full speed and wait until every branded mention is stored."""
    topics = Topics(prefix=stack.services.prefix)
    scored = TopicCounter(bootstrap=stack.bootstrap, topic=topics.scored)
    raw = TopicCounter(bootstrap=stack.bootstrap, topic=topics.raw)
    before = _readings(stack)
    monitor = Monitor(
        counters={"raw": raw.count, "scored": scored.count, "stored": stack.store.count},
        progress=_progress(expected),
    )
    try:
        with monitoring(monitor), stack.profiling(f"volume-{volume}") as attach:
            fed = replay_file(
                path=path,
                env=stack.services.env,
                log=stack.log_dir / "ingest.log",
                on_start=lambda pid: attach("ingest", pid),
            )
            print(f"  ingest done in {fed.wall_s:.1f} s", file=sys.stderr, flush=True)
            _wait_stored(stack=stack, monitor=monitor, target=expected, done=lambda: True)
    finally:
        scored.close()
        raw.close()
    usage = {"ingest": fed.usage, **_usage(stack, before)}
    stored_series = monitor.series.get("stored", [])
    scored_series = monitor.series.get("scored", [])
    stored = monitor.latest("stored")
    last = reached_at(stored_series, stored) if stored else None
    return VolumeResult(
        volume=volume,
        expected=expected,
        stored=stored,
        ingest_s=fed.wall_s,
        stored_per_s=stored / last if last else None,
        sustained_stored_per_s=sustained_rate(stored_series, total=expected) if expected else None,
        sustained_scored_per_s=sustained_rate(scored_series, total=expected) if expected else None,
        latency=stack.store.latency(id_prefix=id_prefix),
        usage=usage,
        stored_series=stored_series,
        scored_series=scored_series,
    )


def run_level(
    *, stack: Stack, rate: float, seconds: float, probes: int, seed: int, number: int
) -> LevelResult:
    """Background mentions at `rate`/s for `seconds`, `probes` large-audience complaints among
    them; waits for their pages and for the store to catch up. `number` (the level's place in
    the series) is in every id, so a level repeated at the same rate writes new mentions."""
    name = f"l{number}-{rate:g}"
    branded = 0

    def background() -> Iterator[bytes]:
        nonlocal branded
        start = datetime.now(UTC)
        for g in generate(total=int(rate * seconds) + 1, seed=seed, start=start, prefix=name):
            branded += g.brand is not None
            yield g.line

    now = datetime.now(UTC)
    probe_prefix = f"p{number}-{rate:g}"
    injected = [
        large_complaint(brand=BRANDS[i % len(BRANDS)], number=i, at=now, prefix=probe_prefix)
        for i in range(probes)
    ]
    base = stack.store.count()
    target = base + int(rate * seconds) + probes  # at most; ~5 % name no brand
    monitor = Monitor(counters={"stored": stack.store.count}, progress=_progress(target))
    before, ticks = _readings(stack), machine_ticks()
    began = time.time()
    with monitoring(monitor), stack.profiling(f"level-{rate:g}") as attach:
        fed = paced(
            background=background(),
            probes=[(p.id, p.line) for p in injected],
            rate=rate,
            seconds=seconds,
            env=stack.services.env,
            log=stack.log_dir / "ingest.log",
            on_start=lambda pid: attach("ingest", pid),
        )
        stored_in_window = monitor.latest("stored") - base
        busy = busy_cores(ticks, machine_ticks(), cores=os.cpu_count() or 1)
        print(f"  fed {fed.lines:,} lines in {fed.wall_s:.1f} s", file=sys.stderr, flush=True)
        _wait_stored(
            stack=stack,
            monitor=monitor,
            target=base + branded + probes,
            done=lambda: all(stack.pages.arrived(p.incident_id) for p in injected),
        )
    usage = {"ingest": fed.usage, **_usage(stack, before)}
    to_page = [
        arrived - fed.probes_at[p.id]
        for p in injected
        if p.id in fed.probes_at and (arrived := stack.pages.arrived(p.incident_id)) is not None
    ]
    return LevelResult(
        rate=rate,
        seconds=seconds,
        offered=fed.lines,
        stored_per_s=stored_in_window / fed.wall_s if fed.wall_s > 0 else None,
        probes=probes,
        paged=len(to_page),
        time_to_page=spread(to_page),
        latency=stack.store.latency(id_prefix=f"{name}:"),
        drained=monitor.latest("stored") >= base + branded + probes,
        stored=monitor.latest("stored") - base,
        usage=usage,
        busy_cores=busy,
        hops=breakdown(
            _trails(
                stack=stack,
                probes=injected,
                written=fed.probes_at,
                since_s=began - 1,
            )
        ),
    )


def _trails(
    *,
    stack: Stack,
    probes: Sequence[Probe],
    written: Mapping[str, float],
    since_s: float,
) -> list[Trail]:
    """Each probe's moments: written, on each topic (one read of each since `since_s`), paged."""
    topics = Topics(prefix=stack.services.prefix)
    own = {p.id: p.id for p in probes}  # raw and scored are keyed by the thread root: the probe
    reads = {
        "raw": (topics.raw, by_key(own)),
        "scored": (topics.scored, by_key(own)),
        "incident": (topics.incidents, by_key({p.incident_id: p.id for p in probes})),
    }
    seen = {
        mark: first_seen(bootstrap=stack.bootstrap, topic=topic, since_s=since_s, match=match)
        for mark, (topic, match) in reads.items()
    }
    trails = []
    for probe in probes:
        at = {mark: found[probe.id] for mark, found in seen.items() if probe.id in found}
        if probe.id in written:
            at["written"] = written[probe.id]
        paged = stack.pages.arrived(probe.incident_id)
        if paged is not None:
            at["page"] = paged
        trails.append(Trail(probe_id=probe.id, at=at))
    return trails
